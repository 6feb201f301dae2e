"""The IRC gateway (--irc): real chorus nodes, IRC clients on plain sockets
(ircclient.py).  Clients on different nodes chat with each other and with
the nodes' own users; nicks are unique across both; directives reach IRC;
a client that moves to another node after its node died is the same user
and gets what it missed."""
import re
import signal
import socket
import time

import pytest

from ircclient import Irc


def answers(client, pairs):
    """Send each line; wait for its reply (a pattern) after it."""
    for line, reply in pairs:
        start = client.mark()
        client.send(line)
        client.wait(reply, start=start)


def irc_node(cluster, nick, join=(), host="127.0.0.1", extra=()):
    n = cluster.start(nick, join=join, extra=["--irc", f"{host}:0", *extra])
    m = n.wait_err(r"IRC clients welcome on [^ ]+:(\d+)")
    n.irc = int(m.group(1))
    return n


def test_registration_and_the_channel(cluster):
    a = irc_node(cluster, "alpha")
    c = Irc(a.irc, "carol", caps=["server-time", "message-tags"])
    for num in ("001", "002", "003", "004", "005", "375", "376"):
        c.wait(rf"^:alpha\.chorus {num} carol ")
    c.wait(r" 005 carol .*CASEMAPPING=ascii.*NICKLEN=32")
    c.join()
    c.wait(r"^:carol!carol@chorus JOIN #chorus$")
    c.wait(r" 353 carol = #chorus :@alpha carol$")
    c.wait(r" 332 carol #chorus :")

    c.send("PING :abc")
    c.wait(r"PONG alpha\.chorus :abc")
    c.send("JOIN #elsewhere")
    c.wait(r" 403 carol #elsewhere ")
    c.send("FROB x")
    c.wait(r" 421 carol FROB ")
    # The table's checks (gate_cmd.c): registration first, then the parameters.
    answers(c, (("PASS x", r" 462 carol :You may not reregister$"),
                ("USER carol", r" 462 carol :You may not reregister$"),
                ("JOIN", r" 461 carol JOIN :Not enough parameters$"),
                ("MODE", r" 461 carol MODE :Not enough parameters$")))
    raw = socket.create_connection(("127.0.0.1", a.irc), timeout=10)
    raw.sendall(b"PASS\r\nNAMES\r\nfrob\r\nUSER x\r\nQUIT\r\n")
    got = b""
    while chunk := raw.recv(4096):
        got += chunk
    raw.close()
    assert got == (b":alpha.chorus 461 * PASS :Not enough parameters\r\n"
                   b":alpha.chorus 451 * :You have not registered\r\n"
                   b":alpha.chorus 451 * :You have not registered\r\n"
                   b":alpha.chorus 461 * USER :Not enough parameters\r\n"
                   b"ERROR :Closing link (quit)\r\n")
    answers(c, (("MODE #chorus", r" 324 carol #chorus \+nt"),
                ("MODE #chorus b", r" 368 carol #chorus "),
                ("WHO #chorus", r" 352 carol #chorus alpha .* H@ "),
                ("TOPIC #chorus", r" 332 carol #chorus "),
                ("LIST", r" 322 carol #chorus 2 "),
                ("KICK #chorus alpha", r" 482 carol #chorus "),
                ("NICK other", r" 447 carol ")))
    a.wait_line(r"^\[JOIN\] carol joined the chat$")
    assert a.ask("\\list_users", "USERS") == "alpha (leader), carol"

    start = c.mark()
    c.send("PART #chorus")
    c.wait(r"^:carol!carol@chorus PART #chorus$", start=start)
    a.wait_line(r"^\[LEAVE\] carol left the chat$")


def test_pass_is_the_secret_off_loopback(cluster):
    a = irc_node(cluster, "alpha", host="0.0.0.0")
    a.wait_err(r"PASS: the secret")
    bad = Irc(a.irc, "mallory", register=False)
    bad.wait(r" 464 ")
    bad.wait_closed()
    wrong = Irc(a.irc, "mallory", password="not-the-secret", register=False)
    wrong.wait(r" 464 ")
    wrong.wait_closed()
    from conftest import SECRET
    good = Irc(a.irc, "carol", password=SECRET)
    good.join()


def test_clients_on_different_nodes_chat_with_each_other_and_with_nodes(cluster):
    a = irc_node(cluster, "alpha")
    b = cluster.start("bravo", join=[a])
    c = irc_node(cluster, "charlie", join=[a])
    x = Irc(a.irc, "xena", caps=["server-time"])
    x.join()
    y = Irc(c.irc, "yuri")
    y.join()
    for n in (a, b, c):
        n.wait_line(r"^\[JOIN\] xena joined the chat$")
        n.wait_line(r"^\[JOIN\] yuri joined the chat$")
    x.wait(r"^:yuri!yuri@chorus JOIN #chorus$")

    x.say("hello from xena")
    y.wait(r"^:xena!xena@chorus PRIVMSG #chorus :hello from xena$")
    y.say("and from yuri")
    x.wait(r"^@time=\S+Z :yuri!yuri@chorus PRIVMSG #chorus :and from yuri$")
    b.send("bravo here")
    x.wait(r":bravo!bravo@chorus PRIVMSG #chorus :bravo here$")
    y.wait(r":bravo!bravo@chorus PRIVMSG #chorus :bravo here$")
    for n in (a, b, c):
        n.wait_line(r"^\[xena\] hello from xena$")
        n.wait_line(r"^\[yuri\] and from yuri$")
        n.wait_line(r"^\[bravo\] bravo here$")
    # One order everywhere, IRC users' lines included.
    order = [[l for l in n.output() if re.match(r"^\[(xena|yuri|bravo)\] ", l)] for n in (a, b, c)]
    assert order[0] == order[1] == order[2]
    sums = {n.ask("\\checksum", "CHECKSUM") for n in (a, b, c)}
    assert len(sums) == 1
    # Nobody's own line comes back without echo-message.
    assert x.count(r"PRIVMSG #chorus :hello from xena") == 0
    # Escapes: what a client sends cannot drive a terminal.
    x.say("\x1b]0;owned\x07 title")
    b.wait_line(r"^\[xena\] \\e\]0;owned\\x07 title$")
    # The longest line, all control characters: escaped whole, never cut.
    x.say("\x01" * 4000)
    m = y.wait(r":xena!xena@chorus PRIVMSG #chorus :((?:\\x01)+)$")
    assert len(m.group(1)) == 4 * 4000

    users = b.ask("\\list_users", "USERS")
    assert users == "alpha (leader), bravo, charlie, xena, yuri"
    start = x.mark()
    x.say("\\list_users")
    x.wait(r"NOTICE xena :\[USERS\] alpha \(leader\), bravo, charlie, xena, yuri$", start=start)
    x.say("\\is_leader")
    x.wait(r"NOTICE xena :\[IS_LEADER\] no$")
    assert b.count(r"list_users") == 0  # commands are not chat
    # The answers are xena's alone: her node's own user sees none of them.
    assert a.ask("\\is_leader", "IS_LEADER") == "yes"
    assert a.count(r"^\[IS_LEADER\]") == 1 and a.count(r"^\[USERS\] .*xena") == 0
    assert y.count(r"\[USERS\]|\[IS_LEADER\]") == 0


def test_nicks_are_unique_across_nodes_and_clients(cluster):
    a = irc_node(cluster, "alpha")
    c = irc_node(cluster, "charlie", join=[a])
    x = Irc(a.irc, "xena")
    x.join()
    c.wait_line(r"^\[JOIN\] xena joined the chat$")
    for port, nick in ((a.irc, "alpha"), (a.irc, "CHARLIE"), (c.irc, "Xena"), (a.irc, "xena")):
        t = Irc(port, nick, register=False)
        t.wait(rf" 433 \* {nick} :Nickname is already in use")
        t.close()
    t = Irc(a.irc, "bad!nick", register=False)
    t.wait(r" 432 ")


def test_a_node_cannot_take_an_online_irc_users_nick(cluster):
    """SPEC 2: one namespace.  A node started as Yuki while IRC user yuki is
    online is refused (exit 3); yuki keeps the nick and her lines."""
    a = irc_node(cluster, "alpha")
    y = Irc(a.irc, "yuki")
    y.join()
    y.say("I was here first")
    a.wait_line(r"^\[yuki\] I was here first$")
    late = cluster.start("Yuki", join=[a], wait_joined=False)
    assert late.wait_exit(10) == 3
    late.wait_err(r'nick "Yuki" is taken')
    a.wait_err(r"refusing Yuki from 127\.0\.0\.1: an IRC user is online under that nick")
    y.say("still yuki")
    a.wait_line(r"^\[yuki\] still yuki$")
    assert a.ask("\\list_users", "USERS") == "alpha (leader), yuki"
    assert not any("Guest" in l for l in y.lines), y.lines


def test_directives_reach_irc_users(cluster):
    a = irc_node(cluster, "alpha")  # the leader
    b = cluster.start("bravo", join=[a])
    x = Irc(a.irc, "xena")
    x.join()
    b.wait_line(r"^\[JOIN\] xena joined the chat$")

    a.send("!silence xena")
    b.wait_line(r"^\[MOD\] xena was silenced by alpha$")
    x.wait(r"NOTICE #chorus :\[MOD\] xena was silenced by alpha$")
    assert "xena (silenced)" in b.ask("\\list_users", "USERS")
    x.say("can anyone hear me")
    x.wait(r" 404 xena #chorus :Cannot send to channel \(you are silenced\)")
    a.send("!unsilence xena")
    b.wait_line(r"^\[MOD\] xena was unsilenced by alpha$")
    x.say("back again")
    b.wait_line(r"^\[xena\] back again$")
    assert b.count(r"can anyone hear me") == 0

    start = x.mark()
    x.say("!remove alpha")
    x.wait(r"NOTICE xena :\[ERROR\] only the leader can remove", start=start)

    a.send("!remove xena")
    x.wait(r"^:alpha!alpha@chorus KICK #chorus xena :removed by alpha$")
    x.wait_closed()
    b.wait_line(r"^\[MOD\] xena was removed by alpha$")
    b.wait_line(r"^\[LEAVE\] xena left the chat$")
    again = Irc(a.irc, "xena", register=False)
    again.wait(r" 465 ")
    again.wait_closed()


def test_a_client_moves_to_another_node_and_gets_what_it_missed(cluster):
    a = irc_node(cluster, "alpha")
    b = irc_node(cluster, "bravo", join=[a])
    c = cluster.start("charlie", join=[a])
    x = Irc(b.irc, "xena", caps=["server-time"])
    x.join()
    x.say("before the crash")
    c.wait_line(r"^\[xena\] before the crash$")

    b.kill()
    for n in (a, c):
        n.wait_line(r"^\[LOST\] bravo is unreachable$")
        n.wait_line(r"^\[LOST\] xena is unreachable$")
    x.wait_closed()
    c.send("said while xena was away")
    a.wait_line(r"^\[charlie\] said while xena was away$")

    x2 = Irc(a.irc, "xena", caps=["server-time"])
    x2.join()
    x2.wait(r"^@time=\S+Z :charlie!charlie@chorus PRIVMSG #chorus :said while xena was away$")
    c.wait_line(r"^\[BACK\] xena is reachable again$")
    x2.say("after the move")
    c.wait_line(r"^\[xena\] after the move$")
    assert c.count(r"^\[JOIN\] xena joined") == 1  # the same user, not a new one


def test_a_restarted_node_ends_the_sessions_of_its_last_life(cluster):
    a = irc_node(cluster, "alpha")
    b = irc_node(cluster, "bravo", join=[a])
    x = Irc(b.irc, "xena")
    x.join()
    a.wait_line(r"^\[JOIN\] xena joined the chat$")
    b.kill()
    a.wait_line(r"^\[LOST\] xena is unreachable$")
    b2 = cluster.restart(b, extra=["--irc", "127.0.0.1:0"])
    b2.wait_line(r"^\[LEADER\] ")
    a.wait_line(r"^\[LEAVE\] xena left the chat$")
    assert a.ask("\\list_users", "USERS") == "alpha (leader), bravo"
    assert a.count(r"^\[BACK\] xena") == 0  # the restart did not bring her back
