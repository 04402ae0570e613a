/* SPDX-License-Identifier: MIT */
/*
 * Red-black trees (see rbtree.h).
 *
 * The classic algorithm: a new node is red; a red node with a red parent
 * is fixed by recolouring while the uncle is red and by one or two
 * rotations otherwise.  Erasing splices out the node or its in-order
 * successor; if a black node left the tree, the "double black" is pushed
 * up or resolved by rotations about the sibling.
 *
 * Augmentation: a rotation changes the subtrees of exactly the two nodes
 * it turns, and the one that ends on top covers what the other covered
 * before, so ancestors keep their values; recomputing the lower node and
 * then the upper one is enough.  Linking or splicing changes the subtrees
 * along one path to the root: recompute along it, stopping where a value
 * no longer changes.
 */
#include "rbtree.h"

static inline void recompute(rb_recompute_fn fn, struct rb_node *n)
{
	if (fn && n)
		fn(n);
}

void rb_propagate(struct rb_node *node, rb_recompute_fn fn)
{
	if (!fn)
		return;
	for (; node; node = node->rb_parent)
		if (!fn(node))
			break;
}

/* Recompute every node from @node to the root (values may shrink). */
static void propagate_all(struct rb_node *node, rb_recompute_fn fn)
{
	if (!fn)
		return;
	for (; node; node = node->rb_parent)
		fn(node);
}

static void replace_child(struct rb_root *root, struct rb_node *parent,
			  struct rb_node *old, struct rb_node *new)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

static void rotate_left(struct rb_root *root, struct rb_node *x, rb_recompute_fn fn)
{
	struct rb_node *y = x->rb_right;

	x->rb_right = y->rb_left;
	if (y->rb_left)
		y->rb_left->rb_parent = x;
	y->rb_parent = x->rb_parent;
	replace_child(root, x->rb_parent, x, y);
	y->rb_left = x;
	x->rb_parent = y;
	recompute(fn, x);
	recompute(fn, y);
}

static void rotate_right(struct rb_root *root, struct rb_node *x, rb_recompute_fn fn)
{
	struct rb_node *y = x->rb_left;

	x->rb_left = y->rb_right;
	if (y->rb_right)
		y->rb_right->rb_parent = x;
	y->rb_parent = x->rb_parent;
	replace_child(root, x->rb_parent, x, y);
	y->rb_right = x;
	x->rb_parent = y;
	recompute(fn, x);
	recompute(fn, y);
}

static inline bool is_red(const struct rb_node *n)
{
	return n && n->rb_color == RB_RED;
}

void rb_insert_augmented(struct rb_node *node, struct rb_root *root, rb_recompute_fn fn)
{
	if (fn) {
		fn(node);
		rb_propagate(node->rb_parent, fn);
	}
	while (is_red(node->rb_parent)) {
		struct rb_node *parent = node->rb_parent, *gparent = parent->rb_parent;

		if (parent == gparent->rb_left) {
			struct rb_node *uncle = gparent->rb_right;

			if (is_red(uncle)) {
				parent->rb_color = uncle->rb_color = RB_BLACK;
				gparent->rb_color = RB_RED;
				node = gparent;
				continue;
			}
			if (node == parent->rb_right) {
				rotate_left(root, parent, fn);
				node = parent;
				parent = node->rb_parent;
			}
			parent->rb_color = RB_BLACK;
			gparent->rb_color = RB_RED;
			rotate_right(root, gparent, fn);
		} else {
			struct rb_node *uncle = gparent->rb_left;

			if (is_red(uncle)) {
				parent->rb_color = uncle->rb_color = RB_BLACK;
				gparent->rb_color = RB_RED;
				node = gparent;
				continue;
			}
			if (node == parent->rb_left) {
				rotate_right(root, parent, fn);
				node = parent;
				parent = node->rb_parent;
			}
			parent->rb_color = RB_BLACK;
			gparent->rb_color = RB_RED;
			rotate_left(root, gparent, fn);
		}
	}
	root->rb_node->rb_color = RB_BLACK;
}

/* Put @new where @old hangs (its subtrees stay with @new's caller). */
static void transplant(struct rb_root *root, struct rb_node *old, struct rb_node *new)
{
	replace_child(root, old->rb_parent, old, new);
	if (new)
		new->rb_parent = old->rb_parent;
}

/* @x (maybe NULL) under @parent carries an extra black: push it out. */
static void erase_fixup(struct rb_root *root, struct rb_node *x, struct rb_node *parent,
			rb_recompute_fn fn)
{
	while (x != root->rb_node && !is_red(x)) {
		if (x == parent->rb_left) {
			struct rb_node *w = parent->rb_right;

			if (is_red(w)) {
				w->rb_color = RB_BLACK;
				parent->rb_color = RB_RED;
				rotate_left(root, parent, fn);
				w = parent->rb_right;
			}
			if (!is_red(w->rb_left) && !is_red(w->rb_right)) {
				w->rb_color = RB_RED;
				x = parent;
				parent = x->rb_parent;
				continue;
			}
			if (!is_red(w->rb_right)) {
				w->rb_left->rb_color = RB_BLACK;
				w->rb_color = RB_RED;
				rotate_right(root, w, fn);
				w = parent->rb_right;
			}
			w->rb_color = parent->rb_color;
			parent->rb_color = RB_BLACK;
			w->rb_right->rb_color = RB_BLACK;
			rotate_left(root, parent, fn);
			x = root->rb_node;
		} else {
			struct rb_node *w = parent->rb_left;

			if (is_red(w)) {
				w->rb_color = RB_BLACK;
				parent->rb_color = RB_RED;
				rotate_right(root, parent, fn);
				w = parent->rb_left;
			}
			if (!is_red(w->rb_left) && !is_red(w->rb_right)) {
				w->rb_color = RB_RED;
				x = parent;
				parent = x->rb_parent;
				continue;
			}
			if (!is_red(w->rb_left)) {
				w->rb_right->rb_color = RB_BLACK;
				w->rb_color = RB_RED;
				rotate_left(root, w, fn);
				w = parent->rb_left;
			}
			w->rb_color = parent->rb_color;
			parent->rb_color = RB_BLACK;
			w->rb_left->rb_color = RB_BLACK;
			rotate_right(root, parent, fn);
			x = root->rb_node;
		}
	}
	if (x)
		x->rb_color = RB_BLACK;
}

void rb_erase_augmented(struct rb_node *z, struct rb_root *root, rb_recompute_fn fn)
{
	struct rb_node *x, *xparent;
	int removed_color = z->rb_color;

	if (!z->rb_left) {
		x = z->rb_right;
		xparent = z->rb_parent;
		transplant(root, z, x);
	} else if (!z->rb_right) {
		x = z->rb_left;
		xparent = z->rb_parent;
		transplant(root, z, x);
	} else {
		struct rb_node *y = z->rb_right;

		while (y->rb_left)
			y = y->rb_left;
		removed_color = y->rb_color;
		x = y->rb_right;
		if (y->rb_parent == z) {
			xparent = y;
		} else {
			xparent = y->rb_parent;
			transplant(root, y, x);
			y->rb_right = z->rb_right;
			y->rb_right->rb_parent = y;
		}
		transplant(root, z, y);
		y->rb_left = z->rb_left;
		y->rb_left->rb_parent = y;
		y->rb_color = z->rb_color;
	}
	/* Everything from the splice point up lost a node: recompute the path. */
	propagate_all(xparent, fn);
	if (removed_color == RB_BLACK)
		erase_fixup(root, x, xparent, fn);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_left)
		n = n->rb_left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	if (!n)
		return NULL;
	while (n->rb_right)
		n = n->rb_right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *node)
{
	if (node->rb_right) {
		node = node->rb_right;
		while (node->rb_left)
			node = node->rb_left;
		return (struct rb_node *)node;
	}
	while (node->rb_parent && node == node->rb_parent->rb_right)
		node = node->rb_parent;
	return node->rb_parent;
}

struct rb_node *rb_prev(const struct rb_node *node)
{
	if (node->rb_left) {
		node = node->rb_left;
		while (node->rb_right)
			node = node->rb_right;
		return (struct rb_node *)node;
	}
	while (node->rb_parent && node == node->rb_parent->rb_left)
		node = node->rb_parent;
	return node->rb_parent;
}

/* Black height of @n's subtree, or -1 if a rule is broken; counts nodes. */
static long validate(const struct rb_node *n, const struct rb_node *parent, long *count)
{
	if (!n)
		return 1;
	if (n->rb_parent != parent)
		return -1;
	if (is_red(n) && (is_red(n->rb_left) || is_red(n->rb_right)))
		return -1;
	long l = validate(n->rb_left, n, count), r = validate(n->rb_right, n, count);
	if (l < 0 || r < 0 || l != r)
		return -1;
	++*count;
	return l + (n->rb_color == RB_BLACK);
}

long rb_validate(const struct rb_root *root)
{
	long count = 0;

	if (is_red(root->rb_node))
		return -1;
	return validate(root->rb_node, NULL, &count) < 0 ? -1 : count;
}
