/*
 * jsonpos: the offsets of a parsed document's values (see jsonpos.h).
 * The text is known to be valid JSON, so the walk only skips strings,
 * literals and white space; it never needs to report an error.
 */
#include "jsonpos.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

struct walk {
	struct jsonpos *jp;
	size_t at;
};

static void skip_space(struct walk *w)
{
	while (w->at < w->jp->len && strchr(" \t\r\n", w->jp->text[w->at]))
		w->at++;
}

static void skip_string(struct walk *w)
{
	const char *t = w->jp->text;

	for (w->at++; w->at < w->jp->len && t[w->at] != '"'; w->at++)
		if (t[w->at] == '\\')
			w->at++;
	w->at++;
}

static void skip_scalar(struct walk *w)
{
	while (w->at < w->jp->len && !strchr(",]} \t\r\n", w->jp->text[w->at]))
		w->at++;
}

static void record(struct walk *w, const cJSON *node)
{
	struct jsonpos *jp = w->jp;

	jp->v = xreallocarray(jp->v, jp->n + 1, sizeof(*jp->v));
	jp->v[jp->n++] = (struct jsonpos_entry){ node, w->at };
}

static void walk_value(struct walk *w, const cJSON *node);

/* An object's members or an array's items, in the tree's order. */
static void walk_children(struct walk *w, const cJSON *node, bool object)
{
	const cJSON *child;

	w->at++;
	cJSON_ArrayForEach(child, node) {
		skip_space(w);
		if (object) {
			skip_string(w);
			skip_space(w);
			w->at++;	/* ':' */
			skip_space(w);
		}
		walk_value(w, child);
		skip_space(w);
		w->at++;	/* ',' or the closing bracket */
	}
	if (!node->child) {
		skip_space(w);
		w->at++;
	}
}

static void walk_value(struct walk *w, const cJSON *node)
{
	char c;

	skip_space(w);
	if (w->at >= w->jp->len)
		return;
	record(w, node);
	c = w->jp->text[w->at];
	if (c == '{' || c == '[')
		walk_children(w, node, c == '{');
	else if (c == '"')
		skip_string(w);
	else
		skip_scalar(w);
}

void jsonpos_index(struct jsonpos *jp, const char *text, size_t len,
		   const cJSON *root)
{
	struct walk w = { .jp = jp, .at = 0 };

	*jp = (struct jsonpos){ .text = text, .len = len };
	walk_value(&w, root);
}

/* One step of a path: ".key" or "[N]"; the rest of the path after it. */
static const cJSON *step(const cJSON *node, const char **path)
{
	const char *p = *path;
	char key[256];
	size_t n;

	if (*p == '.')
		p++;
	if (p[0] == '[' && p[1] == '"') {
		n = strcspn(p + 2, "\"");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p + 2, n);
		key[n] = '\0';
		p += 2 + n;
		*path = p + strspn(p, "\"]");
		return cJSON_IsObject(node) ? cJSON_GetObjectItem(node, key)
					    : NULL;
	}
	if (*p == '[') {
		n = strtoul(p + 1, NULL, 10);
		*path = strchr(p, ']') ? strchr(p, ']') + 1 : p + strlen(p);
		return cJSON_IsArray(node) ? cJSON_GetArrayItem(node, (int)n)
					   : NULL;
	}
	n = strcspn(p, ".[");
	if (n >= sizeof(key))
		return NULL;
	memcpy(key, p, n);
	key[n] = '\0';
	*path = p + n;
	return cJSON_IsObject(node) ? cJSON_GetObjectItem(node, key) : NULL;
}

const cJSON *jsonpos_find(const cJSON *root, const char *path,
			  bool *ret_whole)
{
	const cJSON *node = root, *next;
	bool whole = true;

	while (node && path && *path) {
		next = step(node, &path);
		if (!next) {
			whole = false;
			break;
		}
		node = next;
	}
	if (ret_whole)
		*ret_whole = whole;
	return node;
}

void jsonpos_line_col(const char *text, size_t offset, unsigned int *ret_line,
		      unsigned int *ret_col)
{
	unsigned int line = 1, col = 1;
	size_t i;

	for (i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	*ret_line = line;
	*ret_col = col;
}

void jsonpos_where(const struct jsonpos *jp, const cJSON *node,
		   unsigned int *ret_line, unsigned int *ret_col)
{
	size_t i;

	for (i = 0; i < jp->n; i++) {
		if (jp->v[i].node == node) {
			jsonpos_line_col(jp->text, jp->v[i].offset, ret_line,
					 ret_col);
			return;
		}
	}
	*ret_line = 1;
	*ret_col = 1;
}

const char *jsonpos_literal(const struct jsonpos *jp, const cJSON *node,
			    size_t *ret_len)
{
	const char *p;
	size_t i, n = 0, left;

	if (!cJSON_IsNumber(node) && !cJSON_IsString(node))
		return NULL;
	for (i = 0; i < jp->n && jp->v[i].node != node; i++)
		;
	if (i == jp->n)
		return NULL;
	p = jp->text + jp->v[i].offset;
	left = jp->len - jp->v[i].offset;
	if (cJSON_IsString(node) && left && *p == '"') {
		for (n = 1; n < left && p[n] != '"'; n++)
			if (p[n] == '\\')
				n++;
		*ret_len = n < left ? n + 1 : left;
		return p;
	}
	while (n < left && strchr("+-.0123456789eE", p[n]))
		n++;
	*ret_len = n;
	return n ? p : NULL;
}

void jsonpos_release(struct jsonpos *jp)
{
	free(jp->v);
	*jp = (struct jsonpos){ 0 };
}

const char *jsonpos_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "null";
}
