# The IRC load generator of bench/irc.py (issue 7); included from the
# Makefile. Plain C11 and epoll: no libraries.
build/irc_load: bench/irc_load.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $< -o $@

# The raw RabbitMQ fanout reference of broker mode (issue 13, see
# bench/broker_raw.py): librabbitmq (rabbitmq-c 0.11) and one thread per
# connection.
build/amqp_raw: bench/amqp_raw.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $< -o $@ -lrabbitmq -lpthread
