/* store.c: what every backend of store.h goes through before it is used.
 *
 * Owns store_ops_check (a table of this API version with every operation of
 * every domain set) and store_open, the one way to open a store, which checks
 * first: a backend with a missing operation fails at open with its name, not
 * with a NULL call in the middle of a redemption. The lists of operation
 * names below are checked against the structs of store.h at build time.
 *
 * Must never: know a backend (store_backend.c does), touch a database. */
#include <stddef.h>
#include <stdio.h>

#include "store.h"

/* Each domain's operations, by name, in store.h's order. The static
 * assertions under each list fail the build when a member of the struct is
 * not listed (the counts differ) or a listed name is not a member. */
#define STORE_IDENTITY_OPS(X)                                                                  \
    X(consultant_add) X(consultant_find) X(consultant_name) X(consultant_count) X(consultant_list) \
    X(enrol_token_add) X(invite_add) X(invites_revoke) X(token_get) X(token_mark_used)        \
    X(device_get) X(device_add)
#define STORE_BILAN_OPS(X)                                                                     \
    X(bilan_add) X(bilan_get) X(bilans_for_device) X(bilans_of_consultant) X(member_add)       \
    X(member_role) X(members_count)
#define STORE_JOURNAL_OPS(X)                                                                   \
    X(session_add) X(session_end) X(session_get) X(sessions_of_bilan) X(sessions_end_open)     \
    X(sessions_open)                                                                           \
    X(journal_append) X(journal_of_bilan) X(session_figures_put) X(session_record_get)        \
    X(sessions_without_figures) X(bilan_personal_ms) X(budget_warning_add)
#define STORE_RECEIPT_OPS(X)                                                                   \
    X(receipt_put) X(receipts_of_session) X(refusal_put) X(refusals_of_session) X(sessions_unsigned)
#define STORE_WORKSHEET_OPS(X)                                                                 \
    X(sheet_op_put) X(sheet_ops_after) X(sheet_usage) X(sheet_kid_get) X(sheet_kid_set) X(sheet_wrap_put) \
    X(sheet_wraps_to) X(sheet_consent_put) X(sheet_consent_get) X(bilan_close) X(bilans_to_purge) X(bilan_purge)
/* The base: everything between `open` and the first domain pointer. */
#define STORE_BASE_OPS(X) \
    X(open) X(close) X(schema_version) X(begin) X(commit) X(rollback) X(setting_get) X(setting_set)

/* A domain struct holds function pointers only, so its size counts them. */
#define STORE_OP_COUNT(op) +1
#define STORE_FN_SIZE sizeof(void (*)(void))
#define STORE_OPS_LISTED(type, LIST)                                                           \
    _Static_assert(sizeof(struct type) == (0 LIST(STORE_OP_COUNT)) * STORE_FN_SIZE,            \
                   "store.c: list every operation of struct " #type)

STORE_OPS_LISTED(store_identity_ops, STORE_IDENTITY_OPS);
STORE_OPS_LISTED(store_bilan_ops, STORE_BILAN_OPS);
STORE_OPS_LISTED(store_journal_ops, STORE_JOURNAL_OPS);
STORE_OPS_LISTED(store_receipt_ops, STORE_RECEIPT_OPS);
STORE_OPS_LISTED(store_worksheet_ops, STORE_WORKSHEET_OPS);
_Static_assert(offsetof(struct store_ops, identity) - offsetof(struct store_ops, open) ==
                   (0 STORE_BASE_OPS(STORE_OP_COUNT)) * STORE_FN_SIZE,
               "store.c: list every base operation of struct store_ops (before the domains)");
_Static_assert(sizeof(struct store_ops) - offsetof(struct store_ops, identity) == 5 * sizeof(void *),
               "store.c: check every domain of struct store_ops in store_ops_check");

/* The name of the first operation of o that is NULL, or NULL if none is. */
#define STORE_OP_MISSING(op) if (!o->op) return #op;
static const char *identity_missing(const struct store_identity_ops *o)
{
    STORE_IDENTITY_OPS(STORE_OP_MISSING)
    return NULL;
}

static const char *bilans_missing(const struct store_bilan_ops *o)
{
    STORE_BILAN_OPS(STORE_OP_MISSING)
    return NULL;
}

static const char *journal_missing(const struct store_journal_ops *o)
{
    STORE_JOURNAL_OPS(STORE_OP_MISSING)
    return NULL;
}

static const char *receipts_missing(const struct store_receipt_ops *o)
{
    STORE_RECEIPT_OPS(STORE_OP_MISSING)
    return NULL;
}

static const char *worksheets_missing(const struct store_worksheet_ops *o)
{
    STORE_WORKSHEET_OPS(STORE_OP_MISSING)
    return NULL;
}

static const char *base_missing(const struct store_ops *o)
{
    STORE_BASE_OPS(STORE_OP_MISSING)
    return NULL;
}
#undef STORE_OP_MISSING

/* One domain: the table is there and complete. domain is store.h's member
 * name, so the message names the call a developer would write. */
static int domain_check(const char *backend, const char *domain, const void *table, const char *missing,
                        char *why, size_t why_len)
{
    if (!table) {
        snprintf(why, why_len, "store backend '%s': domain %s is missing", backend, domain);
        return STORE_E_BACKEND;
    }
    if (missing) {
        snprintf(why, why_len, "store backend '%s': operation %s.%s is missing", backend, domain, missing);
        return STORE_E_BACKEND;
    }
    return 0;
}

int store_ops_check(const struct store_ops *ops, char *why, size_t why_len)
{
    if (!ops) {
        snprintf(why, why_len, "no store backend");
        return STORE_E_BACKEND;
    }
    const char *name = ops->name && ops->name[0] ? ops->name : "(unnamed)";
    if (ops->api_version != STORE_API_VERSION) {
        snprintf(why, why_len, "store backend '%s': made for store API version %d, this server has version %d",
                 name, ops->api_version, STORE_API_VERSION);
        return STORE_E_BACKEND;
    }
    if (name != ops->name) {
        snprintf(why, why_len, "store backend '%s': it has no name", name);
        return STORE_E_BACKEND;
    }
    const char *missing = base_missing(ops);
    if (missing) {
        snprintf(why, why_len, "store backend '%s': operation %s is missing", name, missing);
        return STORE_E_BACKEND;
    }
    int rc;
    if ((rc = domain_check(name, "identity", ops->identity, ops->identity ? identity_missing(ops->identity) : NULL,
                           why, why_len)) ||
        (rc = domain_check(name, "bilans", ops->bilans, ops->bilans ? bilans_missing(ops->bilans) : NULL, why,
                           why_len)) ||
        (rc = domain_check(name, "journal", ops->journal, ops->journal ? journal_missing(ops->journal) : NULL, why,
                           why_len)) ||
        (rc = domain_check(name, "receipts", ops->receipts,
                           ops->receipts ? receipts_missing(ops->receipts) : NULL, why, why_len)) ||
        (rc = domain_check(name, "worksheets", ops->worksheets,
                           ops->worksheets ? worksheets_missing(ops->worksheets) : NULL, why, why_len)))
        return rc;
    return 0;
}

int store_open(const struct store_ops *ops, const char *path, int create, struct store **out, char *why,
               size_t why_len)
{
    *out = NULL;
    int rc = store_ops_check(ops, why, why_len);
    if (rc)
        return rc;
    return ops->open(path, create, out, why, why_len);
}
