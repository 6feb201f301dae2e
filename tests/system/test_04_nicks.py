"""Chapter 4: nicknames are unique, case-insensitively (SPEC section 2)."""
import time


def test_taken_nick_exits_3(cluster):
    a = cluster.start("alice")
    b = cluster.start("Bob", join=[a])
    cluster.settle([a, b], "alice (leader), Bob")
    late = cluster.start("bob", join=[a], wait_joined=False)
    assert late.wait_exit() == 3
    late.wait_err(r'nick "bob" is taken')
    assert not any(l.startswith("[JOIN] bob") for l in a.output())
    cluster.settle([a, b], "alice (leader), Bob")


def test_two_claims_at_once_exactly_one_survives(cluster):
    a = cluster.start("alice")
    b = cluster.start("bob", join=[a])
    c = cluster.start("carol", join=[a])
    cluster.settle([a, b, c], "alice (leader), bob, carol")
    x = cluster.start("dave", join=[b], wait_joined=False)
    y = cluster.start("DAVE", join=[c], wait_joined=False)
    deadline = time.time() + 8
    while time.time() < deadline and x.alive() and y.alive():
        time.sleep(0.05)
    time.sleep(0.5)
    survivors = [n for n in (x, y) if n.alive()]
    assert len(survivors) == 1, "exactly one claim must survive"
    loser = y if survivors[0] is x else x
    assert loser.wait_exit() == 3
    winner = survivors[0]
    expect = f"alice (leader), bob, carol, {winner.nick}"
    cluster.settle([a, b, c, winner], expect)
