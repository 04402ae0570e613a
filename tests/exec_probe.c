/* SPDX-License-Identifier: MIT */
/* An empty shared object: what kmm exec preloads in its test. */
int kmm_exec_probe;
