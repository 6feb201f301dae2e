/* inject — see inject.h. */
#include "inject.h"

void
inject_msg(node *n, uint64_t now, uint32_t link, const wire_msg *m)
{
	wire_buf w = {0};

	wire_encode(&w, m);
	node_frame(n, now, link, w.data + WIRE_HEADER, w.len - WIRE_HEADER);
	wire_buf_free(&w);
}

void
inject_sig_msg(wire_msg *m, const hist_sig *s)
{
	*m = (wire_msg){.type = WIRE_SIG};
	m->u.sig.sender = s->sender;
	m->u.sig.seq = s->seq;
	m->u.sig.chain = s->chain;
	m->u.sig.pk = s->pk;
	m->u.sig.sig = s->sig;
}
