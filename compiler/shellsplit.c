/*
 * shellsplit: words of a command line written as one string. See
 * shellsplit.h.
 */
#include "shellsplit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct word {
	char *buf;
	size_t len;
	bool open;	/* a word has started, even if it is still empty */
};

static void word_add(struct word *w, char c)
{
	w->buf = xrealloc(w->buf, w->len + 2);
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
	w->open = true;
}

static void word_end(struct word *w, char ***words)
{
	if (!w->open)
		return;
	strv_push(words, w->buf ? w->buf : "");
	free(w->buf);
	*w = (struct word){ 0 };
}

/* Copy a quoted run starting after the opening quote; NULL if unclosed. */
static const char *quoted(const char *p, char q, struct word *w)
{
	w->open = true;
	for (; *p && *p != q; p++) {
		if (q == '"' && *p == '\\' && p[1] && strchr("\"\\$`", p[1]))
			p++;
		word_add(w, *p);
	}
	return *p ? p + 1 : NULL;
}

char **shell_split(const char *s)
{
	struct word w = { 0 };
	char **words = xcalloc(1, sizeof(*words));
	const char *p = s;

	while (p && *p) {
		if (strchr(" \t\n", *p)) {
			word_end(&w, &words);
			p++;
		} else if (*p == '\'' || *p == '"') {
			p = quoted(p + 1, *p, &w);
		} else if (*p == '\\' && p[1]) {
			word_add(&w, p[1]);
			p += 2;
		} else {
			word_add(&w, *p++);
		}
	}
	if (!p) {
		free(w.buf);
		strv_free(words);
		return NULL;
	}
	word_end(&w, &words);
	return words;
}
