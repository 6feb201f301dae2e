/*
 * inject — frames handed to a node core as if the peer at the far end of a
 * link had sent them: for the tests that play a member by hand (the node's
 * unit test, the node fuzzer) and for the test vectors' SIG frame.
 */
#ifndef SIM_INJECT_H
#define SIM_INJECT_H

#include <stdint.h>

#include "hist.h"
#include "node.h"
#include "wire.h"

/* Encode m and hand its body to n on link (no node_flush: the caller's). */
void inject_msg(node *n, uint64_t now, uint32_t link, const wire_msg *m);
/* The SIG message that carries the signed head s (it points into s). */
void inject_sig_msg(wire_msg *m, const hist_sig *s);

#endif
