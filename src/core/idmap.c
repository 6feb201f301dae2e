/* idmap — see idmap.h. */
#include "idmap.h"

#include <stddef.h>
#include <stdlib.h>

#include "xalloc.h"

static size_t
slot_of(uint64_t id, int cap)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (size_t)(cap - 1);
}

static void
place_in(idmap_slot *slot, int cap, uint64_t id, int place)
{
	size_t k = slot_of(id, cap);

	while (slot[k].place)
		k = (k + 1) & (size_t)(cap - 1);
	slot[k] = (idmap_slot){.id = id, .place = place + 1};
}

/* Room for one more: the map stays at most half full. */
static void
grow(idmap *m)
{
	if (2 * (m->len + 1) <= m->cap)
		return;
	int cap = m->cap ? 2 * m->cap : 32;
	idmap_slot *slot = xcalloc((size_t)cap, sizeof *slot);
	for (int i = 0; i < m->cap; i++)
		if (m->slot[i].place)
			place_in(slot, cap, m->slot[i].id, m->slot[i].place - 1);
	free(m->slot);
	m->slot = slot;
	m->cap = cap;
}

void
idmap_put(idmap *m, uint64_t id, int place)
{
	grow(m);
	place_in(m->slot, m->cap, id, place);
	m->len++;
}

int
idmap_find(const idmap *m, uint64_t id)
{
	if (m->cap == 0)
		return -1;
	for (size_t k = slot_of(id, m->cap); m->slot[k].place; k = (k + 1) & (size_t)(m->cap - 1))
		if (m->slot[k].id == id)
			return m->slot[k].place - 1;
	return -1;
}

void
idmap_free(idmap *m)
{
	free(m->slot);
	*m = (idmap){0};
}
