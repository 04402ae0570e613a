/* SPDX-License-Identifier: MIT */
/*
 * --report FILE.html: one self-contained page (no file or network fetched:
 * the pictures are data: URIs, the style inline) with the machine, the
 * boot log, the command's own summary, the views and the pictures.  A
 * small inline script marks the page once every picture has decoded
 * (body data-images="ok"), which the browser test reads.
 */
#include <stdlib.h>
#include <string.h>
#include "draw.h"

static void html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void base64(FILE *f, const unsigned char *d, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) |
			     (i + 2 < n ? d[i + 2] : 0);
		fputc(tbl[v >> 18 & 63], f);
		fputc(tbl[v >> 12 & 63], f);
		fputc(i + 1 < n ? tbl[v >> 6 & 63] : '=', f);
		fputc(i + 2 < n ? tbl[v & 63] : '=', f);
	}
}

static const char style[] =
	"body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}"
	"pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:12px;line-height:1.3}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}"
	"img{max-width:100%;border:1px solid #ddd}figure{margin:1em 0}"
	"details summary{cursor:pointer;font-weight:bold;margin:.4em 0}";

static const char script[] =
	"window.addEventListener('load',function(){"
	"var ok=true,imgs=document.images;"
	"for(var i=0;i<imgs.length;i++){if(!imgs[i].complete||imgs[i].naturalWidth===0)ok=false;}"
	"document.body.setAttribute('data-images',ok?'ok':'broken');"
	"document.body.setAttribute('data-image-count',String(imgs.length));});";

int write_report(struct session *s, const char *path, const struct picture *pics, int n)
{
	char *tmp;
	FILE *f = out_open(path, &tmp);
	if (!f) {
		errmsg("%s: --report %s: cannot write there", s->cmd, path);
		return -1;
	}
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<title>kmm %s: ", s->cmd);
	html_text(f, s->cmdline);
	fprintf(f, "</title>\n<style>%s</style>\n<script>%s</script>\n</head><body>\n", style, script);
	fprintf(f, "<h1>kmm %s</h1>\n<p>Machine: <code>", s->cmd);
	html_text(f, s->cmdline);
	fputs("</code></p>\n", f);
	if (s->summary) {
		fputs("<h2>Result</h2>\n<pre id=\"summary\">", f);
		html_text(f, s->summary);
		fputs("</pre>\n", f);
	}
	for (int i = 0; i < n; i++) {
		fprintf(f, "<h2>%s</h2>\n<figure><img id=\"pic-%d\" alt=\"", pics[i].title, i);
		html_text(f, pics[i].title);
		fputs("\" src=\"data:image/png;base64,", f);
		base64(f, pics[i].png, pics[i].len);
		fputs("\"></figure>\n", f);
	}
	fputs("<h2>Boot log</h2>\n<pre id=\"bootlog\">", f);
	html_text(f, s->bootlog);
	fputs("</pre>\n<h2>Views</h2>\n", f);
	for (const char *const *v = kmm_view_names(); *v; v++) {
		if (!strcmp(*v, "dmesg"))
			continue;
		char *t = view_text(*v);
		if (!t)
			continue;
		fprintf(f, "<details%s><summary>/proc/%s</summary><pre id=\"view-%s\">",
			!strcmp(*v, "buddyinfo") || !strcmp(*v, "meminfo") ? " open" : "", *v, *v);
		html_text(f, t);
		fputs("</pre></details>\n", f);
		free(t);
	}
	fputs("</body></html>\n", f);
	return out_commit(f, tmp, path);
}
