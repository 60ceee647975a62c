/* test_data.c: tests of proto/data.c, the data messages of PROTOCOL.md §4.1:
 * byte layout, round trips, and every class of malformed input. */
#include <stdint.h>
#include <string.h>

#include "../check.h"
#include "bp/bp.h"
#include "bp/data.h"

static uint8_t buf[BP_DATA_MAX + 64];

static void test_chat(void)
{
    struct bp_data d;
    const char *why;
    int n = bp_data_encode_chat("bonjour", 7, buf, sizeof buf);
    CHECK_EQ_INT(n, 8);
    CHECK_EQ_INT(buf[0], 0x01);
    CHECK_EQ_INT(bp_data_parse(buf, (size_t)n, &d, &why), 0);
    CHECK_EQ_INT(d.type, BP_DATA_CHAT);
    CHECK_EQ_INT(d.len, 7);
    CHECK_MEM(d.bytes, "bonjour", 7);
    CHECK(d.bytes == buf + 1); /* zero copy */
    /* Limits: 1..4096 bytes. */
    CHECK_EQ_INT(bp_data_encode_chat("", 0, buf, sizeof buf), BP_E_INVALID_FIELD);
    memset(buf + 1, 'a', BP_CHAT_MAX + 1);
    buf[0] = 1;
    CHECK_EQ_INT(bp_data_parse(buf, 1 + BP_CHAT_MAX, &d, &why), 0);
    CHECK_EQ_INT(bp_data_parse(buf, 2 + BP_CHAT_MAX, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_parse(buf, 1, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_encode_chat((const char *)buf + 1, BP_CHAT_MAX + 1, buf, sizeof buf),
                 BP_E_INVALID_FIELD);
    /* UTF-8: accented text passes, broken sequences do not. */
    const char *fr = "d\xc3\xa9j\xc3\xa0 \xe2\x82\xac \xf0\x9f\x98\x80";
    n = bp_data_encode_chat(fr, strlen(fr), buf, sizeof buf);
    CHECK(n > 0);
    CHECK_EQ_INT(bp_data_parse(buf, (size_t)n, &d, &why), 0);
    const char *bad[] = {"\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                         "\x80", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf[0] = 1;
        memcpy(buf + 1, bad[i], strlen(bad[i]));
        CHECK_EQ_INT(bp_data_parse(buf, 1 + strlen(bad[i]), &d, &why), BP_E_BAD_FRAME);
        CHECK(why != NULL);
    }
    /* Short output buffer. */
    CHECK_EQ_INT(bp_data_encode_chat("abc", 3, buf, 3), BP_E_TOO_LARGE);
}

static void test_file_begin(void)
{
    struct bp_data d;
    const char *why;
    uint8_t sha[32];
    for (int i = 0; i < 32; i++)
        sha[i] = (uint8_t)i;
    int n = bp_data_encode_file_begin(0x01020304, 0x0000000500000006ULL, sha, "cv.pdf", 6, buf,
                                      sizeof buf);
    CHECK_EQ_INT(n, BP_DATA_BEGIN_FIXED + 6);
    /* Byte layout, big-endian. */
    static const uint8_t head[] = {0x02, 1, 2, 3, 4, 0, 0, 0, 5, 0, 0, 0, 6};
    CHECK_MEM(buf, head, sizeof head);
    CHECK_MEM(buf + 13, sha, 32);
    CHECK_EQ_INT(buf[45], 0);
    CHECK_EQ_INT(buf[46], 6);
    CHECK_EQ_INT(bp_data_parse(buf, (size_t)n, &d, &why), 0);
    CHECK_EQ_INT(d.type, BP_DATA_FILE_BEGIN);
    CHECK_EQ_INT(d.transfer, 0x01020304);
    CHECK(d.size == 0x0000000500000006ULL);
    CHECK_MEM(d.sha256, sha, 32);
    CHECK_EQ_INT(d.len, 6);
    CHECK_MEM(d.bytes, "cv.pdf", 6);
    /* Name length must match the message length exactly. */
    CHECK_EQ_INT(bp_data_parse(buf, (size_t)n - 1, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_parse(buf, (size_t)n + 1, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_BEGIN_FIXED - 1, &d, &why), BP_E_BAD_FRAME);
    /* Forbidden names are refused by the encoder and the parser alike. */
    const char *names[] = {"", ".", "..", "a/b", "a\\b", "../etc", "\xff"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t nl = strlen(names[i]);
        CHECK_EQ_INT(bp_data_encode_file_begin(1, 1, sha, names[i], nl, buf, sizeof buf),
                     BP_E_INVALID_FIELD);
        buf[0] = 2;
        buf[45] = 0;
        buf[46] = (uint8_t)nl;
        memcpy(buf + 47, names[i], nl);
        CHECK_EQ_INT(bp_data_parse(buf, 47 + nl, &d, &why), BP_E_BAD_FRAME);
    }
    /* NUL inside a name. */
    buf[46] = 3;
    memcpy(buf + 47, "a\0b", 3);
    CHECK_EQ_INT(bp_data_parse(buf, 50, &d, &why), BP_E_BAD_FRAME);
    /* Dotfiles and 255-byte names are legal on the wire (the receiver renames). */
    CHECK(bp_data_encode_file_begin(1, 1, sha, ".bashrc", 7, buf, sizeof buf) > 0);
    char longname[256];
    memset(longname, 'x', 255);
    CHECK(bp_data_encode_file_begin(1, 1, sha, longname, 255, buf, sizeof buf) > 0);
    CHECK_EQ_INT(bp_data_encode_file_begin(1, 1, sha, longname, 256, buf, sizeof buf),
                 BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_data_encode_file_begin(1, 1, sha, "a", 1, buf, 47), BP_E_TOO_LARGE);
}

static void test_chunk_end(void)
{
    struct bp_data d;
    const char *why;
    CHECK_EQ_INT(bp_data_encode_chunk_hdr(7, 0x100000000ULL, buf, sizeof buf), BP_DATA_CHUNK_HDR);
    memset(buf + BP_DATA_CHUNK_HDR, 0xab, BP_CHUNK_MAX);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_CHUNK_HDR + 10, &d, &why), 0);
    CHECK_EQ_INT(d.type, BP_DATA_FILE_CHUNK);
    CHECK_EQ_INT(d.transfer, 7);
    CHECK(d.offset == 0x100000000ULL);
    CHECK_EQ_INT(d.len, 10);
    CHECK(d.bytes == buf + BP_DATA_CHUNK_HDR);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_CHUNK_HDR + BP_CHUNK_MAX, &d, &why), 0);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_CHUNK_HDR + BP_CHUNK_MAX + 1, &d, &why),
                 BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_CHUNK_HDR, &d, &why), BP_E_BAD_FRAME); /* empty */
    /* offset + len must not wrap. */
    memset(buf + 5, 0xff, 8);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_CHUNK_HDR + 1, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_encode_chunk_hdr(7, 0, buf, 12), BP_E_TOO_LARGE);

    CHECK_EQ_INT(bp_data_encode_file_end(0xdeadbeef, buf, sizeof buf), BP_DATA_END_LEN);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_END_LEN, &d, &why), 0);
    CHECK_EQ_INT(d.type, BP_DATA_FILE_END);
    CHECK(d.transfer == 0xdeadbeefu);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_END_LEN + 1, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_END_LEN - 1, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_encode_file_end(1, buf, 4), BP_E_TOO_LARGE);

    /* file_answer: the receiver tells the sender what became of its file. */
    CHECK_EQ_INT(bp_data_encode_file_answer(2, 0xcafe0001, BP_FILE_DAMAGED, buf, sizeof buf),
                 BP_DATA_ANSWER_LEN);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_ANSWER_LEN, &d, &why), 0);
    CHECK(d.type == BP_DATA_FILE_ANSWER && d.to_slot == 2 && d.transfer == 0xcafe0001u &&
          d.answer == BP_FILE_DAMAGED);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_ANSWER_LEN - 1, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_ANSWER_LEN + 1, &d, &why), BP_E_BAD_FRAME);
    buf[1] = BP_MAX_MEMBERS; /* no such slot */
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_ANSWER_LEN, &d, &why), BP_E_BAD_FRAME);
    buf[1] = 0;
    buf[6] = 0; /* no such answer */
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_ANSWER_LEN, &d, &why), BP_E_BAD_FRAME);
    buf[6] = BP_FILE_ANSWER_MAX + 1;
    CHECK_EQ_INT(bp_data_parse(buf, BP_DATA_ANSWER_LEN, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_data_encode_file_answer(4, 1, BP_FILE_RECEIVED, buf, sizeof buf),
                 BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_data_encode_file_answer(0, 1, 0, buf, sizeof buf), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_data_encode_file_answer(0, 1, BP_FILE_RECEIVED, buf, 6), BP_E_TOO_LARGE);
}

static void test_garbage(void)
{
    struct bp_data d;
    const char *why = NULL;
    CHECK_EQ_INT(bp_data_parse(buf, 0, &d, &why), BP_E_BAD_FRAME);
    for (int t = 0; t < 256; t++) {
        if (t >= 1 && t <= 5)
            continue;
        buf[0] = (uint8_t)t;
        CHECK_EQ_INT(bp_data_parse(buf, 10, &d, &why), BP_E_BAD_FRAME);
    }
    CHECK(why && strstr(why, "unknown"));
    /* Every length of every type: never reads past len (ASan checks the rest). */
    uint8_t *tight;
    for (int t = 1; t <= 5; t++)
        for (size_t len = 0; len < 64; len++) {
            tight = malloc(len ? len : 1);
            memset(tight, 'a', len);
            if (len)
                tight[0] = (uint8_t)t;
            bp_data_parse(tight, len, &d, &why);
            free(tight);
        }
    CHECK(bp_utf8_valid((const uint8_t *)"", 0));
    CHECK(!bp_utf8_valid((const uint8_t *)"\xe2\x82", 2));
}

int main(void)
{
    test_chat();
    test_file_begin();
    test_chunk_end();
    test_garbage();
    return check_report();
}
