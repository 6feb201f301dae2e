/*
 * broker_int — what broker.c (the AMQP session, the roll call),
 * broker_pub.c (publishing, under confirms) and broker_stream.c (the
 * streams, a conn transport) share.  Nothing else includes it.
 */
#ifndef CHORUS_BROKER_INT_H
#define CHORUS_BROKER_INT_H

#include "amqp_lib.h"

#include "broker.h"
#include "conn_int.h"

typedef struct broker_stream broker_stream;
typedef struct broker_msg broker_msg;

typedef struct broker_queue {
	broker_msg *head, *tail;
} broker_queue;

/* broker_pub.c's: what is published and not confirmed, what waits for room. */
typedef struct broker_pub {
	uint64_t tag;                 /* the last delivery tag given (per connection) */
	size_t inflight;              /* bytes sent and not confirmed */
	broker_queue sent;            /* in tag order */
	broker_queue waiting;
} broker_pub;

/* A stream opened to us and not taken yet (broker_take). */
typedef struct broker_offer {
	char peer[BROKER_ID_LEN + 1];
	char corr[2 * BROKER_ID_LEN];
} broker_offer;

struct broker {
	uv_loop_t *loop;
	broker_callbacks cb;
	char **urls;                  /* the cluster's nodes, tried in turn */
	int nurls;
	int cur;                      /* the one connected to, or to try next */
	amqp_connection_state_t amqp; /* NULL while not connected */
	uv_poll_t poll;               /* its socket */
	uv_work_t work;               /* a connection being made (on the thread pool) */
	bool connecting;
	amqp_connection_state_t made; /* what the work made, or NULL and why */
	char why[256];
	bool said_down;               /* down was told for this outage */
	bool polling;                 /* the poll handle is open */
	bool lost;                    /* the connection is going: poll closing */
	bool freed;
	int handles;                  /* left to close, once freed */
	uv_timer_t retry;
	uint64_t backoff;
	uint64_t started;             /* orders roll calls */
	bool rolling;                 /* a roll call was asked for */
	bool call_again;              /* a call heard asks us to call again (roll.h) */
	bool joined;                  /* in the chat: answer every roll call */
	uv_timer_t again;             /* a member calls again (roll.h) */
	char id[BROKER_ID_LEN + 1];
	char host[BROKER_ID_LEN + 2]; /* "~ID" */
	char queue[64];
	char ex_all[40];              /* fanout: roll calls */
	char ex_to[40];               /* direct: streams, answers */
	/* broker_stream.c's */
	broker_stream *streams;       /* open ones */
	broker_stream *dead;          /* closed, freed at the next kick */
	uint32_t next_stream;
	broker_offer offer;           /* the one open is announcing */
	bool offered;
	uv_timer_t kick;              /* deferred work: ups, held bytes, frees */
	broker_pub pub;
};

/*
 * Publish one message (s: the stream it is for, or NULL), at once or when
 * the window has room; 0, or -1 when not connected (or the connection is
 * lost by it).
 */
int broker_publish(broker *b, const char *exchange, const char *to, const char *type,
		   const char *corr, const void *body, size_t len, broker_stream *s);
/* basic.ack or basic.nack: up to tag (multiple), or tag alone. */
void broker_confirmed(broker *b, uint64_t tag, bool multiple, bool acked);
/* A connection is made: its tags start again. */
void broker_pub_start(broker *b);
/* Stream s is freed: what it owes is no one's. */
void broker_pub_forget(broker *b, const broker_stream *s);
/* The connection is lost: nothing waits or is owed any more. */
void broker_pub_drop(broker *b);
/* The connection is lost: every stream fails, and we try again later. */
void broker_lost(broker *b, const char *why);
/* An AMQP string as a C string, cut to cap. */
void broker_prop(amqp_bytes_t v, char *buf, size_t cap);

void broker_streams_init(broker *b);
/* Bytes stream s has published and not had confirmed grew by delta. */
void broker_stream_owe(broker_stream *s, long delta);
/* The broker lost a message of stream s (a nack): it fails. */
void broker_stream_lost(broker_stream *s);
/* A stream message ("open", "data", "close") came. */
void broker_stream_message(broker *b, const char *type, const amqp_message_t *m);
/* A message to peer came back: its queue is gone, so is every stream to it. */
void broker_stream_returned(broker *b, const char *peer);
/* Every open stream fails (the connection is lost). */
void broker_streams_fail(broker *b);
/* Close the streams' handle (freed: done runs). */
void broker_streams_close(broker *b, uv_close_cb done);

#endif
