/* Intrusive doubly linked lists: the element struct has `prev` and `next`
 * pointers to its own type, the list is a head pointer (NULL: empty).
 * Elements are added at the front and taken out from anywhere in O(1),
 * which is what every list of pending things here needs (requests,
 * sockets, streams, delayed replies, acknowledgements, blocking queries).
 * The list owns nothing: freeing an element is its owner's business, after
 * DLIST_DEL. */
#ifndef COMMON_DLIST_H
#define COMMON_DLIST_H

/* Puts e at the front of the list `head`. */
#define DLIST_ADD(head, e)                                                                         \
	do {                                                                                       \
		(e)->prev = NULL;                                                                  \
		(e)->next = (head);                                                                \
		if (head)                                                                          \
			(head)->prev = (e);                                                        \
		(head) = (e);                                                                      \
	} while (0)

/* Takes e out of the list `head` (nothing happens when e is in no list)
 * and clears its links. */
#define DLIST_DEL(head, e)                                                                         \
	do {                                                                                       \
		if ((e)->prev)                                                                     \
			(e)->prev->next = (e)->next;                                               \
		else if ((head) == (e))                                                            \
			(head) = (e)->next;                                                        \
		if ((e)->next)                                                                     \
			(e)->next->prev = (e)->prev;                                               \
		(e)->prev = (e)->next = NULL;                                                      \
	} while (0)

#endif
