/* amqp_lib — see amqp_lib.h. */
#include "amqp_lib.h"

#include <dlfcn.h>
#include <stdio.h>

/* The soname of Debian's librabbitmq4 (rabbitmq-c 0.11). */
#define AMQP_LIB_SONAME "librabbitmq.so.4"

static amqp_lib table;
const amqp_lib *amqp;

const char *
amqp_lib_load(void)
{
	static char why[256];
	void *h;

	if (amqp)
		return NULL;
	if ((h = dlopen(AMQP_LIB_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, sizeof why, "broker mode needs %s: %s", AMQP_LIB_SONAME, dlerror());
		return why;
	}
#define AMQP_LIB_FIND(name)                                                              \
	if ((*(void **)&table.name = dlsym(h, "amqp_" #name)) == NULL) {                  \
		snprintf(why, sizeof why, "%s has no amqp_%s", AMQP_LIB_SONAME, #name);    \
		dlclose(h);                                                                \
		return why;                                                                \
	}
	AMQP_LIB_FUNCS(AMQP_LIB_FIND)
	AMQP_LIB_DATA(AMQP_LIB_FIND)
#undef AMQP_LIB_FIND
	amqp = &table;
	return NULL;
}
