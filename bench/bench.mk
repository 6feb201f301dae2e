# The IRC load generator of bench/irc.py (issue 7); included from the
# Makefile. Plain C11 and epoll: no libraries.
build/irc_load: bench/irc_load.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $< -o $@
