/*
 * jsonpos: where each value of a parsed JSON document sits in its text.
 *
 * Part of stage "spec" (pod.json -> struct spec_pod): cJSON keeps no
 * positions, so a second, simple pass over the text, which cJSON has
 * already accepted, walks it in the same order as the tree and records
 * the byte offset of every value. Messages about a field then name its
 * line and column.
 */
#ifndef HPC_JSONPOS_H
#define HPC_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

struct jsonpos_entry {
	const cJSON *node;
	size_t offset;
};

struct jsonpos {
	const char *text;
	size_t len;
	struct jsonpos_entry *v;
	size_t n;
};

/*
 * jsonpos_index - index every value of root, parsed from text[0..len).
 * Release with jsonpos_release.
 */
void jsonpos_index(struct jsonpos *jp, const char *text, size_t len,
		   const cJSON *root);

/*
 * jsonpos_find - the value a field path names ("containers[1].ports[0]",
 * keys matched case-insensitively, "" for root); when part of the path is
 * missing, the deepest value that exists, and *ret_whole (when not NULL)
 * says whether the path was found whole.
 */
const cJSON *jsonpos_find(const cJSON *root, const char *path,
			  bool *ret_whole);

/*
 * jsonpos_where - line and column (from 1) of node; 1:1 when the node is
 * not indexed.
 */
void jsonpos_where(const struct jsonpos *jp, const cJSON *node,
		   unsigned int *ret_line, unsigned int *ret_col);

/*
 * jsonpos_literal - the text of a number or string node as written
 * ("1e400", "\"a\\u0000b\"" with its quotes): a pointer into the indexed
 * text and its length in *ret_len, or NULL when node is not an indexed
 * number or string.
 */
const char *jsonpos_literal(const struct jsonpos *jp, const cJSON *node,
			    size_t *ret_len);

/* jsonpos_line_col - line and column (from 1) of a byte offset. */
void jsonpos_line_col(const char *text, size_t offset, unsigned int *ret_line,
		      unsigned int *ret_col);

void jsonpos_release(struct jsonpos *jp);

/* jsonpos_type - v's JSON type for a message: "a string", "null", ... */
const char *jsonpos_type(const cJSON *v);

#endif
