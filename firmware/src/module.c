/*
 * The module's side of the protocol (firmware-sim/PROTOCOL.md), written to behave, frame for frame, as
 * the simulator does (firmware-sim/sim/module-firmware.ts). Session states (§6):
 *
 *   boot ──POST 300 ms──▶ announced (INFO) ──HELLO──▶ ready ──host silent 3 s──▶ host-lost
 *
 * While not ready the LEDs show POST or "host lost" and lamp and label commands are NAKed `not-ready`.
 */
#include "module.h"

#include <string.h>

#include "frame.h"

/* §8 timings. */
#define POST_MS 300
#define DEBOUNCE_MS 20
#define LONG_PRESS_MS 600
#define WATCHDOG_MS 3000
#define RETRY_MS 100
#define RETRIES 5

/* §4.2 message types. */
enum {
  HELLO = 0x01,
  SET_LAMPS = 0x02,
  SET_LABEL = 0x03,
  HEARTBEAT = 0x04,
  SET_PAGE_LAMPS = 0x05,
  ACK = 0x7e,
  NAK = 0x7f,
  INFO = 0x81,
  KEY_EVENT = 0x82,
  PAGE_SHOWN = 0x83,
};

/* §4.3 NAK reasons. */
enum { UNKNOWN_TYPE = 1, BAD_LENGTH = 2, BAD_KEY = 3, NOT_READY = 4, BAD_VALUE = 5, BAD_VERSION = 6 };

/* §5.7 key events. */
enum { KEY_DOWN = 1, KEY_UP = 2, KEY_LONG = 3 };

#define PROTOCOL_MAJOR 2
#define PROTOCOL_MINOR 0

/* §5.3 patterns; §5.2 colors. */
enum { PATTERN_OFF, PATTERN_STEADY, PATTERN_SLOW, PATTERN_FAST, PATTERN_FLASH, PATTERN_HOST_LOST, PATTERNS };
#define COLORS 9
static const uint32_t PALETTE[COLORS] = {
    0x000000, 0xff0000, 0x00ff00, 0xffa000, 0xffff00, 0x0000ff, 0x00ffff, 0xff00ff, 0xffffff,
};
static const struct {
  uint16_t period, on;
} TIMING[PATTERNS] = {{1, 0}, {1, 1}, {1000, 500}, {250, 125}, {1000, 100}, {2000, 200}};

/* The page keys' lamps until a host sets them (§5.10): the page in view white steady, the others dark. */
#define WHITE_STEADY ((PATTERN_STEADY << 4) | 8)

typedef enum { POST, ANNOUNCED, READY, HOST_LOST } session_t;

#define SWITCHES (BOARD_KEYS / BOARD_PAGES + BOARD_PAGE_KEYS)
#define OUTBOX 16

typedef struct {
  bool raw, stable, long_due;
  uint32_t raw_since, down_at;
} switch_t;

static struct {
  session_t session;
  uint32_t booted_at;
  bool hello_pending;
  uint32_t host_seen_at;
  uint8_t lamps[BOARD_KEYS];
  char labels[BOARD_KEYS][BOARD_LABEL_CHARS * 4 + 1];
  uint8_t page;
  uint8_t page_shown_lamp;
  uint8_t page_hidden_lamps[BOARD_PAGES];
  switch_t switches[SWITCHES];
  /* The key (as the host numbers it) each switch of the page went down as (§7.4). */
  uint8_t down_as[SWITCHES];
  frame_decoder_t decoder;
  /* Stop-and-wait to the host (§4.1): frames queued, the head sent and waiting for its ACK. */
  uint8_t seq;
  int last_taken;
  struct {
    uint8_t bytes[FRAME_WIRE_MAX];
    uint8_t length;
    uint8_t seq;
    uint8_t tries;
    uint32_t sent_at;
  } outbox[OUTBOX];
  uint8_t outbox_head, outbox_count;
  char serial[33];
  module_counters_t counters;
} m;

module_counters_t module_counters(void) {
  module_counters_t counters = m.counters;
  counters.dropped = m.decoder.dropped;
  return counters;
}

/* --- the link (§4.1) ------------------------------------------------------------------------------ */

static void send_head(uint32_t now) {
  if (m.outbox_count == 0) return;
  m.outbox[m.outbox_head].tries++;
  m.outbox[m.outbox_head].sent_at = now;
  module_write(m.outbox[m.outbox_head].bytes, m.outbox[m.outbox_head].length);
}

/* Queues a sequenced message; sent when the ones before it are answered. A full queue drops the oldest. */
static void send(uint8_t type, const uint8_t *payload, uint8_t length, uint32_t now) {
  if (m.outbox_count == OUTBOX) {
    m.outbox_head = (uint8_t)((m.outbox_head + 1) % OUTBOX);
    m.outbox_count--;
    m.counters.given_up++;
  }
  m.seq = (uint8_t)(m.seq % 255 + 1);
  frame_t frame = {.seq = m.seq, .type = type, .length = length};
  memcpy(frame.payload, payload, length);
  uint8_t at = (uint8_t)((m.outbox_head + m.outbox_count) % OUTBOX);
  m.outbox[at].length = (uint8_t)frame_encode(&frame, m.outbox[at].bytes);
  m.outbox[at].seq = m.seq;
  m.outbox[at].tries = 0;
  if (++m.outbox_count == 1) send_head(now);
}

/* An unsequenced frame (ACK, NAK): seq 0, at once. */
static void reply(uint8_t type, const uint8_t *payload, uint8_t length) {
  frame_t frame = {.seq = 0, .type = type, .length = length};
  memcpy(frame.payload, payload, length);
  uint8_t bytes[FRAME_WIRE_MAX];
  module_write(bytes, frame_encode(&frame, bytes));
}

static void ack(uint8_t seq) { reply(ACK, &seq, 1); }

static void nak(uint8_t seq, uint8_t reason) {
  m.counters.naks++;
  uint8_t payload[2] = {seq, reason};
  reply(NAK, payload, 2);
}

static void answered(uint8_t seq, uint32_t now) {
  if (m.outbox_count == 0 || m.outbox[m.outbox_head].seq != seq) return;
  m.outbox_head = (uint8_t)((m.outbox_head + 1) % OUTBOX);
  m.outbox_count--;
  send_head(now);
}

static void clear_outbox(void) { m.outbox_count = 0; }

static void new_session(void) {
  clear_outbox();
  m.last_taken = -1;
}

/* --- session (§6) --------------------------------------------------------------------------------- */

static void announce(uint32_t now) {
  /* INFO (§5.2) */
  uint8_t p[FRAME_PAYLOAD_MAX];
  uint8_t n = 0;
  p[n++] = PROTOCOL_MAJOR;
  p[n++] = PROTOCOL_MINOR;
  p[n++] = FIRMWARE_MAJOR;
  p[n++] = FIRMWARE_MINOR;
  p[n++] = FIRMWARE_PATCH;
  p[n++] = (uint8_t)strlen(BOARD_ID);
  memcpy(&p[n], BOARD_ID, strlen(BOARD_ID));
  n = (uint8_t)(n + strlen(BOARD_ID));
  p[n++] = (uint8_t)strlen(m.serial);
  memcpy(&p[n], m.serial, strlen(m.serial));
  n = (uint8_t)(n + strlen(m.serial));
  p[n++] = BOARD_LABEL_CHARS;
  p[n++] = BOARD_KEYS;
  for (int i = 0; i < BOARD_KEYS; i++) p[n++] = BOARD_LAMP_KIND;
  p[n++] = BOARD_PAGES;
  p[n++] = BOARD_PAGE_KEYS;
  for (int i = 0; i < BOARD_PAGE_KEYS; i++) p[n++] = BOARD_LAMP_KIND;
  send(INFO, p, n, now);
}

static void tell_page(uint32_t now) {
  if (BOARD_PAGES > 1) send(PAGE_SHOWN, &m.page, 1, now);
}

static void forget_lamps(void) {
  memset(m.lamps, 0, sizeof m.lamps);
  m.page_shown_lamp = WHITE_STEADY;
  memset(m.page_hidden_lamps, 0, sizeof m.page_hidden_lamps);
}

void module_boot(uint32_t now, const char *serial) {
  memset(&m, 0, sizeof m);
  strncpy(m.serial, serial, sizeof m.serial - 1);
  m.session = POST;
  m.booted_at = now;
  m.last_taken = -1;
  forget_lamps();
  frame_decoder_reset(&m.decoder);
}

static void hello(uint8_t seq, uint32_t now) {
  /* A new session: what was queued for an earlier host is dropped (§5.1). */
  new_session();
  m.last_taken = seq;
  ack(seq);
  if (m.session == POST) {
    m.hello_pending = true;
    return;
  }
  m.session = READY;
  forget_lamps();
  m.host_seen_at = now;
  announce(now);
  tell_page(now);
}

/* A host of another major version (§5.1): refused, and told this module's version; a session ends. */
static void refuse_host(uint8_t seq, uint32_t now) {
  clear_outbox();
  nak(seq, BAD_VERSION);
  if (m.session == POST) return; /* INFO follows the self test anyway */
  m.session = ANNOUNCED;
  forget_lamps();
  announce(now);
}

static bool lamp_byte_valid(uint8_t lamp) { return (lamp >> 4) < PATTERN_HOST_LOST + 1 && (lamp & 0x0f) < COLORS; }

/* One frame from the host, in the simulator's order of checks (module-firmware.ts `handle`). */
static void handle(const frame_t *f, uint32_t now) {
  const uint8_t *p = f->payload;
  uint8_t n = f->length;
  /* The payload's shape first (§4.3): the NAK reason a decoder would give. */
  switch (f->type) {
    case HELLO:
      if (n < 2) return nak(f->seq, BAD_LENGTH);
      break;
    case SET_LAMPS:
      if (n < 2 || n != 2 + p[1]) return nak(f->seq, BAD_LENGTH);
      for (int i = 0; i < p[1]; i++)
        if (!lamp_byte_valid(p[2 + i])) return nak(f->seq, BAD_VALUE);
      break;
    case SET_PAGE_LAMPS:
      if (n < 2 || n != 2 + p[1]) return nak(f->seq, BAD_LENGTH);
      for (int i = 0; i < n; i++)
        if (i != 1 && !lamp_byte_valid(p[i])) return nak(f->seq, BAD_VALUE);
      break;
    case SET_LABEL:
      if (n < 2 || n != 2 + p[1]) return nak(f->seq, BAD_LENGTH);
      break;
    case HEARTBEAT:
      if (n != 0) return nak(f->seq, BAD_LENGTH);
      break;
    case ACK:
      if (n != 1) return nak(f->seq, BAD_LENGTH);
      return answered(p[0], now);
    case NAK:
      if (n != 2) return nak(f->seq, BAD_LENGTH);
      /* The host refused one of ours for good: nothing to redo, the next one follows. */
      return answered(p[0], now);
    case PAGE_SHOWN:
      if (n != 1) return nak(f->seq, BAD_LENGTH);
      break;
    case KEY_EVENT:
      if (n != 6) return nak(f->seq, BAD_LENGTH);
      if (p[1] < KEY_DOWN || p[1] > KEY_LONG) return nak(f->seq, BAD_VALUE);
      break;
    case INFO:
      if (n < 6) return nak(f->seq, BAD_LENGTH);
      break; /* a module's message: refused below as one meant for the other side */
    default:
      return nak(f->seq, UNKNOWN_TYPE);
  }
  if (f->seq == 0) return nak(0, BAD_VALUE);
  if ((int)f->seq == m.last_taken) return ack(f->seq); /* a retransmission: acknowledged, applied once */
  if (f->type == HELLO) {
    if (p[0] != PROTOCOL_MAJOR) return refuse_host(f->seq, now);
    return hello(f->seq, now);
  }
  if (m.session != READY) return nak(f->seq, NOT_READY);
  m.host_seen_at = now; /* any sequenced frame feeds the watchdog (§6.3) */
  switch (f->type) {
    case SET_LAMPS:
      if (p[0] + p[1] > BOARD_KEYS) return nak(f->seq, BAD_KEY);
      memcpy(&m.lamps[p[0]], &p[2], p[1]);
      break;
    case SET_LABEL: {
      if (p[0] >= BOARD_KEYS || BOARD_LABEL_CHARS == 0) return nak(f->seq, BAD_KEY);
      /* At most the label characters (code points, not bytes) are kept (§5.5). */
      size_t length = 0;
      int chars = 0;
      while (length < p[1] && length < sizeof m.labels[0] - 1) {
        if ((p[2 + length] & 0xc0) != 0x80 && ++chars > BOARD_LABEL_CHARS) break;
        length++;
      }
      memcpy(m.labels[p[0]], &p[2], length);
      m.labels[p[0]][length] = 0;
      break;
    }
    case SET_PAGE_LAMPS:
      if (BOARD_PAGE_KEYS == 0) return nak(f->seq, BAD_KEY);
      if (p[1] != BOARD_PAGES) return nak(f->seq, BAD_VALUE);
      m.page_shown_lamp = p[0];
      memcpy(m.page_hidden_lamps, &p[2], BOARD_PAGES);
      break;
    case HEARTBEAT:
      break;
    default:
      return nak(f->seq, UNKNOWN_TYPE); /* a module→host message sent to the module */
  }
  m.last_taken = f->seq;
  ack(f->seq);
}

void module_receive(uint8_t byte, uint32_t now) {
  frame_t frame;
  if (frame_decoder_push(&m.decoder, byte, &frame)) handle(&frame, now);
}

/* --- keys (§7) ------------------------------------------------------------------------------------ */

static void key_event(uint8_t key, uint8_t event, uint32_t now) {
  if (m.session != READY) return; /* no host to tell: a press while unplugged is not kept (§7.3) */
  uint32_t uptime = now - m.booted_at;
  uint8_t p[6] = {key, event, (uint8_t)(uptime >> 24), (uint8_t)(uptime >> 16), (uint8_t)(uptime >> 8), (uint8_t)uptime};
  send(KEY_EVENT, p, 6, now);
}

static void turn_page(int index, uint32_t now) {
  uint8_t page = BOARD_PAGE_KEYS == BOARD_PAGES ? (uint8_t)index : (uint8_t)((m.page + 1) % BOARD_PAGES);
  if (page == m.page) return;
  m.page = page;
  if (m.session == READY) tell_page(now);
}

static void settled(int index, bool closed, uint32_t now) {
  const int per_page = BOARD_KEYS / BOARD_PAGES;
  if (index >= per_page) {
    if (closed) turn_page(index - per_page, now);
    return;
  }
  if (closed) m.down_as[index] = (uint8_t)(m.page * per_page + index);
  key_event(m.down_as[index], closed ? KEY_DOWN : KEY_UP, now);
}

void module_switch(int index, bool closed, uint32_t now) {
  if (index < 0 || index >= SWITCHES) return;
  switch_t *s = &m.switches[index];
  if (closed != s->raw) {
    s->raw = closed;
    s->raw_since = now;
  }
}

void module_tick(uint32_t now) {
  if (m.session == POST && now - m.booted_at >= POST_MS) {
    m.session = m.hello_pending ? READY : ANNOUNCED;
    if (m.session == READY) m.host_seen_at = now;
    announce(now);
    if (m.session == READY) tell_page(now);
  }
  if (m.session == READY && now - m.host_seen_at >= WATCHDOG_MS) {
    /* The host went silent: its lamps can no longer be trusted (§6.3). */
    m.session = HOST_LOST;
    forget_lamps();
  }
  /* A frame unanswered: the same bytes again, RETRIES times, then dropped (§4.1). */
  if (m.outbox_count > 0 && now - m.outbox[m.outbox_head].sent_at >= RETRY_MS) {
    if (m.outbox[m.outbox_head].tries <= RETRIES) {
      send_head(now);
    } else {
      m.counters.given_up++;
      m.outbox_head = (uint8_t)((m.outbox_head + 1) % OUTBOX);
      m.outbox_count--;
      send_head(now);
    }
  }
  /* Debounce (§7.1) and long press (§7.2). */
  for (int i = 0; i < SWITCHES; i++) {
    switch_t *s = &m.switches[i];
    if (s->raw != s->stable && now - s->raw_since >= DEBOUNCE_MS) {
      s->stable = s->raw;
      s->long_due = s->stable;
      s->down_at = now;
      settled(i, s->stable, now);
    }
    if (s->long_due && now - s->down_at >= LONG_PRESS_MS) {
      s->long_due = false;
      if (i < BOARD_KEYS / BOARD_PAGES) key_event(m.down_as[i], KEY_LONG, now);
    }
  }
}

/* --- lamps (§5.3) --------------------------------------------------------------------------------- */

static bool lit(uint8_t pattern, uint32_t uptime) {
  return pattern < PATTERNS && uptime % TIMING[pattern].period < TIMING[pattern].on;
}

uint32_t module_led(int slot, uint32_t now) {
  uint32_t uptime = now - m.booted_at;
  if (m.session == POST) return 0xffffff;
  if (m.session != READY) return lit(PATTERN_HOST_LOST, uptime) ? PALETTE[3] : 0;
  const int per_page = BOARD_KEYS / BOARD_PAGES;
  uint8_t lamp;
  if (slot < per_page) {
    lamp = m.lamps[m.page * per_page + slot];
  } else {
    int index = slot - per_page;
    if (BOARD_PAGE_KEYS == BOARD_PAGES) {
      lamp = index == m.page ? m.page_shown_lamp : m.page_hidden_lamps[index];
    } else {
      lamp = m.page_shown_lamp;
      for (int page = 0; page < BOARD_PAGES; page++) {
        uint8_t hidden = m.page_hidden_lamps[page];
        if (page != m.page && (hidden & 0x0f) != 0 && (hidden >> 4) != 0) {
          lamp = hidden;
          break;
        }
      }
    }
  }
  uint8_t color = lamp & 0x0f;
  return color != 0 && lit(lamp >> 4, uptime) ? PALETTE[color] : 0;
}
