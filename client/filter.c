/* SPDX-License-Identifier: MIT */
/*
 * Kernel-side listener filters: a classic BPF program (SO_ATTACH_FILTER)
 * that drops, before they reach the socket, the event datagrams a listener
 * does not want, so that it is neither woken nor copied into for them.
 *
 * The program only drops what it can read and knows to be unwanted: a
 * well-formed event of another family, or an mcbridge event of another
 * type.  Everything else reaches the socket - notices of every kind (so an
 * overrun or a loss is never hidden), datagrams too short or of another
 * format (the listener reports them as bad), attributes in the other byte
 * order, a type attribute further than MCB_FILTER_MAX_ATTRS in - and the
 * listener's own check (mcb_filter_match) decides.
 *
 * The program sees the datagram after its 8-byte UDP header (IPv4 and
 * IPv6 alike); a load past the end would make it drop, so every load is
 * checked against the length first.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/netlink.h>

#include <linux/mcbridge.h>

#include "lib/jsonstr.h"
#include "mcbridge_client.h"

#define BASE		8u		/* the UDP header */
#define ACCEPT		0xffffffffu	/* the whole datagram */
#define DROP		0u
#define MAX_LABELS	(8 + 2 * MCB_FILTER_MAX_FAMILIES + \
			 2 * MCB_FILTER_MAX_ATTRS)
#define MAX_FIXUPS	512

/* Scratch memory of the program. */
enum { M_END, M_BASE, M_LEN, M_TMP };

/* The fixed prefix of every JSON event datagram (mcbridge-events(7)). */
#define JSON_KIND	"{\"" MCB_JSON_KIND "\":\""
#define JSON_EVENT	MCB_JSON_KIND_EVENT "\""
#define JSON_FAMILY	",\"" MCB_JSON_FAMILY "\":\""

/* A tiny assembler: forward jumps to labels, resolved at the end. */
struct bpf_asm {
	struct sock_filter *p;
	size_t n, cap;
	int err;
	unsigned nlabels;
	size_t at[MAX_LABELS];
	unsigned nfix;
	struct {
		size_t insn;
		unsigned label;
		char field;	/* 't', 'f' or 'k' (ja) */
	} fix[MAX_FIXUPS];
};

#define NO_LABEL	(~0u)

static void emit(struct bpf_asm *a, uint16_t code, uint8_t jt, uint8_t jf,
		 uint32_t k)
{
	if (a->n == a->cap) {
		a->err = -E2BIG;
		return;
	}
	a->p[a->n++] = (struct sock_filter){ code, jt, jf, k };
}

static unsigned label(struct bpf_asm *a)
{
	if (a->nlabels == MAX_LABELS) {
		a->err = -E2BIG;
		return 0;
	}
	a->at[a->nlabels] = (size_t)-1;
	return a->nlabels++;
}

static void place(struct bpf_asm *a, unsigned l)
{
	a->at[l] = a->n;
}

static void fixup(struct bpf_asm *a, unsigned l, char field)
{
	if (l == NO_LABEL || a->n == 0)
		return;
	if (a->nfix == MAX_FIXUPS) {
		a->err = -E2BIG;
		return;
	}
	a->fix[a->nfix].insn = a->n - 1;
	a->fix[a->nfix].label = l;
	a->fix[a->nfix].field = field;
	a->nfix++;
}

static void stmt(struct bpf_asm *a, uint16_t code, uint32_t k)
{
	emit(a, code, 0, 0, k);
}

/* A conditional jump: to label t when true, f when false (NO_LABEL: the
 * next instruction). */
static void jump(struct bpf_asm *a, uint16_t code, uint32_t k, unsigned t,
		 unsigned f)
{
	emit(a, BPF_JMP | code, 0, 0, k);
	fixup(a, t, 't');
	fixup(a, f, 'f');
}

static void ja(struct bpf_asm *a, unsigned l)
{
	emit(a, BPF_JMP | BPF_JA, 0, 0, 0);
	fixup(a, l, 'k');
}

static void ret(struct bpf_asm *a, uint32_t v)
{
	stmt(a, BPF_RET | BPF_K, v);
}

/* Unless the datagram has at least n bytes after the UDP header: to
 * short_label, or (NO_LABEL) accept it here - the listener judges it. */
static void need(struct bpf_asm *a, uint32_t n, unsigned short_label)
{
	stmt(a, BPF_LD | BPF_W | BPF_LEN, 0);
	if (short_label != NO_LABEL) {
		jump(a, BPF_JGE | BPF_K, BASE + n, NO_LABEL, short_label);
		return;
	}
	emit(a, BPF_JMP | BPF_JGE | BPF_K, 1, 0, BASE + n);
	ret(a, ACCEPT);
}

static int resolve(struct bpf_asm *a)
{
	if (a->err)
		return a->err;
	for (unsigned i = 0; i < a->nfix; i++) {
		size_t from = a->fix[i].insn, to = a->at[a->fix[i].label];
		size_t d;

		if (to == (size_t)-1 || to <= from)
			return -EINVAL;		/* a bug: unplaced or backward */
		d = to - from - 1;
		if (a->fix[i].field == 'k') {
			a->p[from].k = (uint32_t)d;
		} else if (d > 255) {
			return -E2BIG;
		} else if (a->fix[i].field == 't') {
			a->p[from].jt = (uint8_t)d;
		} else {
			a->p[from].jf = (uint8_t)d;
		}
	}
	return (int)a->n;
}

static uint32_t be_word(const unsigned char *b, size_t n)
{
	uint32_t w = 0;

	for (size_t i = 0; i < 4; i++)
		w = w << 8 | (i < n ? b[i] : 0);
	return w;
}

/* Compare n bytes at off with b; jump to fail on the first difference.
 * The length must have been checked. */
static void cmp_bytes(struct bpf_asm *a, uint32_t off, const void *bytes,
		      size_t n, unsigned fail)
{
	const unsigned char *b = bytes;

	while (n) {
		size_t k = n >= 4 ? 4 : n >= 2 ? 2 : 1;
		uint16_t size = k == 4 ? BPF_W : k == 2 ? BPF_H : BPF_B;
		uint32_t want = be_word(b, k) >> (8 * (4 - k));

		stmt(a, BPF_LD | size | BPF_ABS, off);
		jump(a, BPF_JEQ | BPF_K, want, NO_LABEL, fail);
		off += (uint32_t)k;
		b += k;
		n -= k;
	}
}

/* The binary header's family field: NUL-padded, all 16 bytes compared. */
static void cmp_family_field(struct bpf_asm *a, const char *name,
			     unsigned fail)
{
	char field[MCB_WIRE_NAMSIZ] = { 0 };

	strncpy(field, name, sizeof(field) - 1);
	cmp_bytes(a, BASE + offsetof(struct mcb_wire_hdr, family), field,
		  sizeof(field), fail);
}

/* A = the host-order u16 at X + off (netlink attribute header fields);
 * X is kept (saved in M_BASE). */
static void load_host_u16(struct bpf_asm *a, uint32_t off)
{
#if __BYTE_ORDER == __LITTLE_ENDIAN
	stmt(a, BPF_LD | BPF_B | BPF_IND, off + 1);
	stmt(a, BPF_ALU | BPF_LSH | BPF_K, 8);
	stmt(a, BPF_ST, M_TMP);
	stmt(a, BPF_LD | BPF_B | BPF_IND, off);
	stmt(a, BPF_LDX | BPF_MEM, M_TMP);
	stmt(a, BPF_ALU | BPF_OR | BPF_X, 0);
	stmt(a, BPF_LDX | BPF_MEM, M_BASE);
#else
	stmt(a, BPF_LD | BPF_H | BPF_IND, off);
#endif
}

/* The type: accept when the u32 at X + off (host order) is one of the
 * types wanted, else drop.  X is used up. */
static void match_type(struct bpf_asm *a, uint32_t off, uint32_t types)
{
	/* A BPF load reads big-endian. */
	stmt(a, BPF_LD | BPF_W | BPF_IND, off);
#if __BYTE_ORDER == __LITTLE_ENDIAN
	/* t < 31 is t in the first byte and zeroes after it. */
	emit(a, BPF_JMP | BPF_JSET | BPF_K, 0, 1, 0x00ffffffu);
	ret(a, DROP);
	stmt(a, BPF_ALU | BPF_RSH | BPF_K, 24);
#endif
	emit(a, BPF_JMP | BPF_JGE | BPF_K, 0, 1, MCB_FILTER_TYPE_OTHER);
	ret(a, DROP);
	/* 1 << t against the set. */
	stmt(a, BPF_MISC | BPF_TAX, 0);
	stmt(a, BPF_LD | BPF_IMM, 1);
	stmt(a, BPF_ALU | BPF_LSH | BPF_X, 0);
	emit(a, BPF_JMP | BPF_JSET | BPF_K, 0, 1,
	     types & ~(1u << MCB_FILTER_TYPE_OTHER));
	ret(a, ACCEPT);
	ret(a, DROP);
}

/*
 * mcbridge event (binary): walk its attributes for the type.  The module
 * puts it third (seq, timestamp_ns, type); MCB_FILTER_MAX_ATTRS bounds the
 * walk (classic BPF has no loops), and past it the event is accepted.
 */
static void binary_type(struct bpf_asm *a, uint32_t types)
{
	uint16_t foreign = MCB_WIRE_F_ATTR_BE;

	/* Attributes in the other byte order: the listener decodes them. */
	stmt(a, BPF_LD | BPF_H | BPF_ABS,
	     BASE + offsetof(struct mcb_wire_hdr, flags));
#if __BYTE_ORDER == __LITTLE_ENDIAN
	emit(a, BPF_JMP | BPF_JSET | BPF_K, 0, 1, foreign);
#else
	emit(a, BPF_JMP | BPF_JSET | BPF_K, 1, 0, foreign);
#endif
	ret(a, ACCEPT);
	/* end = BASE + header + attr_len; attributes said to go past the
	 * datagram: the decoder calls it truncated. */
	stmt(a, BPF_LD | BPF_W | BPF_ABS,
	     BASE + offsetof(struct mcb_wire_hdr, attr_len));
	emit(a, BPF_JMP | BPF_JGT | BPF_K, 0, 1, MCB_WIRE_MAX_DATAGRAM);
	ret(a, ACCEPT);
	stmt(a, BPF_ALU | BPF_ADD | BPF_K, BASE + MCB_WIRE_HDR_LEN);
	stmt(a, BPF_ST, M_END);
	stmt(a, BPF_MISC | BPF_TAX, 0);
	stmt(a, BPF_LD | BPF_W | BPF_LEN, 0);
	emit(a, BPF_JMP | BPF_JGE | BPF_X, 1, 0, 0);	/* len >= end */
	ret(a, ACCEPT);
	stmt(a, BPF_LDX | BPF_IMM, BASE + MCB_WIRE_HDR_LEN);

	for (unsigned i = 0; i < MCB_FILTER_MAX_ATTRS; i++) {
		unsigned next = label(a);

		stmt(a, BPF_STX, M_BASE);
		/* No whole attribute header left: no type in there. */
		stmt(a, BPF_MISC | BPF_TXA, 0);
		stmt(a, BPF_ALU | BPF_ADD | BPF_K, NLA_HDRLEN);
		stmt(a, BPF_LDX | BPF_MEM, M_END);
		emit(a, BPF_JMP | BPF_JGT | BPF_X, 0, 1, 0);
		ret(a, ACCEPT);
		stmt(a, BPF_LDX | BPF_MEM, M_BASE);
		load_host_u16(a, offsetof(struct nlattr, nla_len));
		stmt(a, BPF_ST, M_LEN);
		load_host_u16(a, offsetof(struct nlattr, nla_type));
		stmt(a, BPF_ALU | BPF_AND | BPF_K, NLA_TYPE_MASK);
		jump(a, BPF_JEQ | BPF_K, MCBRIDGE_ATTR_TYPE, NO_LABEL, next);
		/* The type: a u32 attribute wholly inside the event. */
		stmt(a, BPF_LD | BPF_MEM, M_LEN);
		emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, NLA_HDRLEN + 4);
		ret(a, ACCEPT);
		stmt(a, BPF_MISC | BPF_TXA, 0);
		stmt(a, BPF_ALU | BPF_ADD | BPF_K, NLA_HDRLEN + 4);
		stmt(a, BPF_LDX | BPF_MEM, M_END);
		emit(a, BPF_JMP | BPF_JGT | BPF_X, 0, 1, 0);
		ret(a, ACCEPT);
		stmt(a, BPF_LDX | BPF_MEM, M_BASE);
		match_type(a, NLA_HDRLEN, types);
		place(a, next);
		/* The next attribute: X += NLA_ALIGN(nla_len). */
		stmt(a, BPF_LD | BPF_MEM, M_LEN);
		emit(a, BPF_JMP | BPF_JGE | BPF_K, 1, 0, NLA_HDRLEN);
		ret(a, ACCEPT);		/* malformed: the decoder says so */
		stmt(a, BPF_ALU | BPF_ADD | BPF_K, NLA_ALIGNTO - 1);
		stmt(a, BPF_ALU | BPF_AND | BPF_K, ~(uint32_t)(NLA_ALIGNTO - 1));
		stmt(a, BPF_ALU | BPF_ADD | BPF_X, 0);
		stmt(a, BPF_MISC | BPF_TAX, 0);
	}
	ret(a, ACCEPT);
}

static void binary(struct bpf_asm *a, const struct mcb_filter *f)
{
	unsigned fam_ok = label(a);

	need(a, MCB_WIRE_HDR_LEN, NO_LABEL);
	/* Another version or header size: the decoder judges it. */
	stmt(a, BPF_LD | BPF_B | BPF_ABS,
	     BASE + offsetof(struct mcb_wire_hdr, version));
	emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, MCB_WIRE_VERSION);
	ret(a, ACCEPT);
	stmt(a, BPF_LD | BPF_H | BPF_ABS,
	     BASE + offsetof(struct mcb_wire_hdr, hdr_len));
	emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, MCB_WIRE_HDR_LEN);
	ret(a, ACCEPT);
	/* Notices (and every kind but event) always reach the listener. */
	stmt(a, BPF_LD | BPF_B | BPF_ABS,
	     BASE + offsetof(struct mcb_wire_hdr, kind));
	emit(a, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, MCB_KIND_EVENT);
	ret(a, ACCEPT);
	if (f->nfamilies) {
		for (unsigned i = 0; i < f->nfamilies; i++) {
			unsigned next = label(a);

			cmp_family_field(a, f->families[i], next);
			ja(a, fam_ok);
			place(a, next);
		}
		ret(a, DROP);
	}
	place(a, fam_ok);
	if (f->types) {
		unsigned other = label(a), mcb = label(a);

		/* Types are the mcbridge family's; the others are "other". */
		cmp_family_field(a, MCBRIDGE_GENL_NAME, other);
		ja(a, mcb);
		place(a, other);
		ret(a, f->types & (1u << MCB_FILTER_TYPE_OTHER) ? ACCEPT : DROP);
		place(a, mcb);
		binary_type(a, f->types);
	}
	ret(a, ACCEPT);
}

/* JSON: the family only, from the fixed prefix; types need binary. */
static void json(struct bpf_asm *a, const struct mcb_filter *f)
{
	static const char kind[] = JSON_KIND, event[] = JSON_EVENT,
			  family[] = JSON_FAMILY;
	uint32_t off = BASE + sizeof(kind) - 1 + sizeof(event) - 1 +
		       sizeof(family) - 1;
	unsigned accept = label(a), names = label(a);

	if (!f->nfamilies) {
		ret(a, ACCEPT);
		return;
	}
	need(a, (uint32_t)(off - BASE), NO_LABEL);
	/* Not the prefix of an event (a notice, or not ours): the listener
	 * decides. */
	cmp_bytes(a, BASE, kind, sizeof(kind) - 1, accept);
	cmp_bytes(a, BASE + sizeof(kind) - 1, event, sizeof(event) - 1,
		  accept);
	cmp_bytes(a, BASE + sizeof(kind) - 1 + sizeof(event) - 1, family,
		  sizeof(family) - 1, accept);
	ja(a, names);
	place(a, accept);
	ret(a, ACCEPT);
	place(a, names);
	for (unsigned i = 0; i < f->nfamilies; i++) {
		char esc[6 * MCB_WIRE_NAMSIZ + 1];
		size_t n = strlen(f->families[i]), len;
		unsigned next = label(a);

		/* The name as the bridge escapes it, and its closing quote. */
		mcb_json_escape_into(esc, sizeof(esc) - 1, f->families[i], n,
				     &len);
		esc[len++] = '"';
		stmt(a, BPF_LD | BPF_W | BPF_LEN, 0);
		jump(a, BPF_JGE | BPF_K, off + (uint32_t)len, NO_LABEL, next);
		cmp_bytes(a, off, esc, len, next);
		ret(a, ACCEPT);
		place(a, next);
	}
	ret(a, DROP);
}

int mcb_filter_build(const struct mcb_filter *f, struct sock_filter *prog,
		     size_t cap)
{
	struct bpf_asm a = { .p = prog, .cap = cap };
	unsigned bin = label(&a), js = label(&a);
	static const char magic[4] = { 'M', 'C', 'B', 'R' };

	_Static_assert(MCB_WIRE_MAGIC == 0x4d434252u, "magic is \"MCBR\"");
	if (f->nfamilies > MCB_FILTER_MAX_FAMILIES)
		return -EINVAL;
	/* Too short for a magic: the listener reports it. */
	need(&a, sizeof(magic), js);
	cmp_bytes(&a, BASE, magic, sizeof(magic), js);
	ja(&a, bin);
	place(&a, js);
	json(&a, f);
	place(&a, bin);
	binary(&a, f);
	return resolve(&a);
}

bool mcb_filter_wants_all(const struct mcb_filter *f)
{
	return !f->types && !f->nfamilies;
}

int mcb_filter_attach(int fd, const struct mcb_filter *f)
{
	struct sock_filter prog[MCB_FILTER_MAX_INSNS];
	struct sock_fprog fp;
	int n;

	if (mcb_filter_wants_all(f))
		return 0;
	n = mcb_filter_build(f, prog, MCB_FILTER_MAX_INSNS);
	if (n < 0)
		return n;
	fp.len = (unsigned short)n;
	fp.filter = prog;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0)
		return -errno;
	return 0;
}

int mcb_filter_add_family(struct mcb_filter *f, const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= MCB_WIRE_NAMSIZ)
		return -EINVAL;
	if (f->nfamilies == MCB_FILTER_MAX_FAMILIES)
		return -ENOSPC;
	memcpy(f->families[f->nfamilies++], name, n + 1);
	return 0;
}

bool mcb_filter_has_family(const struct mcb_filter *f, const char *family)
{
	bool found = !f->nfamilies;

	for (unsigned i = 0; i < f->nfamilies && !found; i++)
		found = strcmp(family, f->families[i]) == 0;
	return found;
}

bool mcb_filter_match(const struct mcb_filter *f, const struct mcb_event *ev)
{
	unsigned bit;

	if (ev->kind != MCB_KIND_EVENT)
		return true;	/* notices always */
	if (!mcb_filter_has_family(f, ev->family))
		return false;
	if (!f->types)
		return true;
	if (!mcb_event_is_mcbridge(ev) || !(ev->has & MCB_HAS_TYPE))
		bit = MCB_FILTER_TYPE_OTHER;
	else if (ev->type < MCB_FILTER_TYPE_OTHER)
		bit = ev->type;
	else
		return false;
	return (f->types & (1u << bit)) != 0;
}
