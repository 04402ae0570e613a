/* SPDX-License-Identifier: MIT */
/*
 * Red-black trees, plain and augmented, with Linux's names.
 *
 * The caller searches and links a new node itself (rb_link_node), then
 * rb_insert_color rebalances; rb_erase unlinks.  An augmented tree keeps a
 * value per node computed from the node and its two children (vmalloc's
 * subtree_max_size): the _augmented variants take a recompute callback
 * that sets a node's value from its children and says whether it changed,
 * and call it on every node whose subtree changed, so the values stay
 * exact through rotations.  O(log n) each.
 */
#ifndef KMM_RBTREE_H
#define KMM_RBTREE_H

#include <stddef.h>
#include <stdbool.h>

#define RB_RED		0
#define RB_BLACK	1

struct rb_node {
	struct rb_node *rb_parent, *rb_left, *rb_right;
	int rb_color;
};

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT (struct rb_root){ NULL }
#define rb_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define rb_entry_safe(ptr, type, member) ({ __typeof__(ptr) ____p = (ptr); \
	____p ? rb_entry(____p, type, member) : NULL; })
#define rb_parent(n) ((n)->rb_parent)
#define RB_EMPTY_ROOT(root) ((root)->rb_node == NULL)

/* Sets @node's augmented value from itself and its children; true if it changed. */
typedef bool (*rb_recompute_fn)(struct rb_node *node);

static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->rb_parent = parent;
	node->rb_left = node->rb_right = NULL;
	node->rb_color = RB_RED;
	*link = node;
}

void rb_insert_augmented(struct rb_node *node, struct rb_root *root, rb_recompute_fn fn);
void rb_erase_augmented(struct rb_node *node, struct rb_root *root, rb_recompute_fn fn);
/* After a node's own value changed in place: recompute it and its ancestors. */
void rb_propagate(struct rb_node *node, rb_recompute_fn fn);

static inline void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	rb_insert_augmented(node, root, NULL);
}

static inline void rb_erase(struct rb_node *node, struct rb_root *root)
{
	rb_erase_augmented(node, root, NULL);
}

struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

/*
 * Validate the red-black rules under @root: no red node has a red child,
 * every path has the same number of black nodes, parents link back.
 * Return: the number of nodes, or -1 if a rule is broken.
 */
long rb_validate(const struct rb_root *root);

#endif /* KMM_RBTREE_H */
