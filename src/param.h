/* SPDX-License-Identifier: MIT */
/*
 * Kernel command-line parameters, declared where they are used, as Linux's
 * __setup()/early_param(): each module places its parameters in the
 * kmm_params section, and boot parses the command line against all of them.
 */
#ifndef KMM_PARAM_H
#define KMM_PARAM_H

struct kmm_param {
	const char *name;		/* "mem" matches "mem=..." */
	int (*setup)(const char *val);	/* val is NULL for a bare "name" */
	void (*reset)(void);		/* back to the default before a boot */
};

#define kmm_param(pname, psetup, preset)					\
	static const struct kmm_param __kmm_param_##psetup			\
	__attribute__((used, section("kmm_params"), aligned(sizeof(void *)))) = \
	{ pname, psetup, preset }

/* A parameter that sets the bool @var (kstrtobool()'s spellings: 1, on, y, ...). */
#define kmm_param_bool(pname, var, preset)					\
	static int __kmm_setup_##var(const char *val)				\
	{									\
		return kstrtobool(val, &(var));					\
	}									\
	kmm_param(pname, __kmm_setup_##var, preset)

#endif /* KMM_PARAM_H */
