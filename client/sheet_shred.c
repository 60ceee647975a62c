/* sheet_shred.c: the crypto-shredding of a closed bilan's worksheets on
 * this device (PROTOCOL.md §10.5): the replica of every sheet not kept, and
 * the document key when nothing is kept or the kept sheets were purged.
 * Without the key, any leftover ciphertext is unreadable; the rows go with
 * their freed pages overwritten (keystore.c: secure_delete, the log
 * truncated). Must never: keep the key of a bilan with nothing kept. */
#include "sheet_shred.h"

#include "i18n.h"
#include "sheets.h"

#define KEEP_MAX 64 /* sheets a consent keeps, at most (PROTOCOL.md §10.3) */

int sheet_sync_shred(struct keystore *ks, long long server_id, const char *bilan, const json_t *kept,
                     int purged, FILE *err)
{
    const char *keep[KEEP_MAX];
    size_t nkeep = 0, i;
    json_t *v;
    if (!purged && json_is_array(kept))
        json_array_foreach(kept, i, v) if (json_is_string(v) && nkeep < KEEP_MAX)
            keep[nkeep++] = json_string_value(v);
    int rc = sheets_shred(ks, server_id, bilan, keep, nkeep);
    if (!rc && nkeep == 0)
        rc = ks_dockey_delete(ks, server_id, bilan);
    if (rc && err)
        fprintf(err, _("bilan : les fiches du bilan %s, qui est clos, n'ont pas pu être effacées de cet "
                       "appareil : %s\n"),
                bilan, ks_error(ks));
    return rc ? -1 : 0;
}
