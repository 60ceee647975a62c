/* kinds.c: the table of binary frame kinds (see bp/kinds.h, PROTOCOL.md §4).
 * The stream numbers are the wire values of today's kinds; a new kind takes
 * the next free stream, below BP_STREAMS. */
#include "bp/kinds.h"

#include <stddef.h>

static const struct bp_kind_info KINDS[] = {
    {BP_KIND_AUDIO, "audio", 0, 0, 1}, /* never dropped: a receiver too slow for it is cut */
    {BP_KIND_VIDEO, "video", 1, 1, 2},
    {BP_KIND_DATA, "data", 0, 0, 3},
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])

const struct bp_kind_info *bp_kind_info(unsigned kind)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (KINDS[i].kind == kind)
            return &KINDS[i];
    return NULL;
}

const struct bp_kind_info *bp_kind_of_stream(unsigned stream)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (KINDS[i].stream == stream)
            return &KINDS[i];
    return NULL;
}

const struct bp_kind_info *bp_kinds(unsigned *n)
{
    *n = (unsigned)NKINDS;
    return KINDS;
}
