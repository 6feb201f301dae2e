/* run — see run.h. */
#include "run.h"

#include <stdio.h>

int
run_node(const node_opts *o)
{
	fprintf(stderr, "chorus: node %s: the runtime is not in this build yet\n", o->nick);
	return 1;
}
