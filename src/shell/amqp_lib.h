/*
 * amqp_lib — librabbitmq, loaded when a node first needs a broker.
 *
 * librabbitmq pulls libssl and libcrypto in with it, and a process that
 * maps them pays about 1.8 MiB of resident memory for their relocations,
 * used or not: a fifth of a headless node's footprint (issue 14 wants a
 * node under 8 MiB).  So chorus is not linked against it: broker mode
 * calls the library through this table, filled by dlopen and dlsym the
 * first time amqp_lib_load() is called.  The types and constants still
 * come from librabbitmq's own headers, so each entry has the exact type
 * of the function it stands for.
 */
#ifndef CHORUS_AMQP_LIB_H
#define CHORUS_AMQP_LIB_H

#include <amqp.h>
#include <amqp_tcp_socket.h>

#define AMQP_LIB_FUNCS(X)                                                          \
	X(basic_consume) X(basic_publish) X(channel_open) X(confirm_select)       \
	X(connection_close) X(consume_message) X(cstring_bytes) X(destroy_connection) \
	X(destroy_envelope) X(destroy_message) X(error_string2) X(exchange_declare) \
	X(get_rpc_reply) X(get_sockfd) X(login) X(maybe_release_buffers)            \
	X(new_connection) X(parse_url) X(queue_bind) X(queue_declare)               \
	X(read_message) X(set_handshake_timeout) X(set_rpc_timeout)                 \
	X(simple_wait_frame) X(socket_open_noblock) X(tcp_socket_new)

/* ... and its constants (amqp->empty_table points at amqp_empty_table). */
#define AMQP_LIB_DATA(X) X(empty_bytes) X(empty_table)

typedef struct amqp_lib {
#define AMQP_LIB_ENTRY(name) __typeof__(amqp_##name) *name;
	AMQP_LIB_FUNCS(AMQP_LIB_ENTRY)
	AMQP_LIB_DATA(AMQP_LIB_ENTRY)
#undef AMQP_LIB_ENTRY
} amqp_lib;

/* The library's functions, once amqp_lib_load() succeeded (else NULL). */
extern const amqp_lib *amqp;

/* Load it (once): NULL, or why it cannot be (static storage). */
const char *amqp_lib_load(void);

#endif
