/*
 * keys.c - which key gives which command.
 */
#include "config.h"
#include <curses.h>
#include "ui_internal.h"

#define CTRL(c) ((c)&0x1f)

static const struct {
	int key;
	enum ui_cmd cmd;
} bindings[] = {
	{ 'k', CMD_UP },
	{ KEY_UP, CMD_UP },
	{ 'j', CMD_DOWN },
	{ KEY_DOWN, CMD_DOWN },
	{ KEY_PPAGE, CMD_PGUP },
	{ CTRL('b'), CMD_PGUP },
	{ KEY_NPAGE, CMD_PGDN },
	{ CTRL('f'), CMD_PGDN },
	{ ' ', CMD_PGDN },
	{ 'g', CMD_FIRST },
	{ KEY_HOME, CMD_FIRST },
	{ 'G', CMD_LAST },
	{ KEY_END, CMD_LAST },
	{ '\n', CMD_ENTER },
	{ '\r', CMD_ENTER },
	{ KEY_ENTER, CMD_ENTER },
	{ 'l', CMD_ENTER },
	{ KEY_RIGHT, CMD_RIGHT },
	{ KEY_BACKSPACE, CMD_BACK },
	{ 127, CMD_BACK },
	{ CTRL('h'), CMD_BACK },
	{ 'h', CMD_BACK },
	{ KEY_LEFT, CMD_LEFT },
	{ '/', CMD_SEARCH },
	{ 'n', CMD_NEXT },
	{ 'N', CMD_PREV },
	{ 'f', CMD_FILTER },
	{ 's', CMD_SORT },
	{ 'S', CMD_REVERSE },
	{ ':', CMD_GOTO },
	{ 't', CMD_TYPES },
	{ 'T', CMD_THREADS },
	{ 'a', CMD_TASKS },
	{ 'p', CMD_PATH },
	{ 'i', CMD_INSTANCES },
	{ 'u', CMD_GARBAGE },
	{ 'M', CMD_MEMORY },
	{ 'L', CMD_SUSPECTS },
	{ 'o', CMD_OPEN },
	{ 'D', CMD_DOMTREE },
	{ 'R', CMD_RECAPTURE },
	{ CTRL('l'), CMD_REDRAW },
	{ '?', CMD_HELP },
	{ KEY_F(1), CMD_HELP },
	{ 'q', CMD_QUIT },
	{ 'Q', CMD_QUIT },
	{ CTRL('c'), CMD_QUIT },
};

static const struct {
	const char *keys, *help;
} texts[CMD_COUNT] = {
#define X(c, k, d) [CMD_##c] = { k, d },
	UI_COMMANDS(X)
#undef X
};

enum ui_cmd keys_command(int key)
{
	size_t i;

	for (i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++)
		if (bindings[i].key == key)
			return bindings[i].cmd;
	return CMD_NONE;
}

const char *keys_text(enum ui_cmd c)
{
	return c > CMD_NONE && c < CMD_COUNT ? texts[c].keys : "";
}

const char *keys_help(enum ui_cmd c)
{
	return c > CMD_NONE && c < CMD_COUNT ? texts[c].help : "";
}
