/*
 * check — the guarantees of SPEC section 5 that the simulator can judge,
 * as invariants over a cluster (cluster.h).
 *
 * After every step (check_step), for every node that runs and has
 * announced itself:
 *  (c) the leader it last printed is its current leader, and a live member
 *      in its own view (never one it considers lost);
 *  (d) its live members hold distinct nicks, compared case-insensitively.
 *
 * At the end of a run, once the network has been healed and quiet for
 * longer than timeout + 2 heartbeats (check_final):
 *  (a) every live node has announced itself, and all agree on the member
 *      list (the live nodes, in one seniority order) and on the leader, the
 *      most senior of them, which each printed last.  One exception, which
 *      no protocol can help: live nodes that nobody alive can introduce to
 *      each other (two joined at once through a seed that died before it
 *      told them of each other).  The cluster's knowledge graph (see
 *      cluster.h) then has several parts, c->parts says how many, and the
 *      agreement is judged within each part.  On a broker there is one
 *      part: the roll call introduces every node to every other;
 *  (b) hence no crashed node is named as leader or member;
 *  (d) no two live nodes (of one part) hold one nick; of each clashing
 *      pair exactly one exited with code 3 and the other lives; no other
 *      exit code 3;
 *  (e) every chat line marked `checked` (typed while the cluster was
 *      quiet and fully announced) was shown exactly once on every live
 *      node (of its part); every line was shown by its sender, if that
 *      still runs.  As they happen (observe.c, cluster.c): no node shows a line twice,
 *      or a sender's lines out of their typed order, or a line under
 *      another nick; a node's life starts with [JOIN] self, [USERS],
 *      [LEADER]; no line printed holds a control byte; no core sends on,
 *      or closes, a link it does not hold.
 */
#ifndef SIM_CHECK_H
#define SIM_CHECK_H

#include "cluster.h"

void check_step(cluster *c);
void check_final(cluster *c);

#endif
