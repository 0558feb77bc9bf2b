/*
 * The reference module on a Raspberry Pi Pico (firmware/README.md): clocks from the 12 MHz crystal, the
 * link on UART0, 20 keys as a 4×5 matrix (and the page keys of a board with pages on more columns), a
 * WS2812B lamp per key on one PIO pin, the hardware watchdog. Every
 * millisecond (the timer's alarm) it reads the keys, runs the protocol's timers (module.c) and, when a
 * lamp changed, sends the LED chain its colors; between, it sleeps (WFI).
 */
#include <stdbool.h>
#include <stdint.h>

#include "module.h"
#include "rp2040.h"

/* Pins (firmware/README.md's wiring table). */
#define PIN_UART_TX 0
#define PIN_UART_RX 1
#define ROWS 4
#define KEY_COLUMNS 5
/* The page keys (board.h) on columns after the keys', ROWS to a column. */
#define COLUMNS (KEY_COLUMNS + (BOARD_PAGE_KEYS + ROWS - 1) / ROWS)
static const uint8_t ROW_PINS[ROWS] = {2, 3, 4, 5};
static const uint8_t COLUMN_PINS[] = {6, 7, 8, 9, 10, 11, 12};
_Static_assert(sizeof COLUMN_PINS >= COLUMNS, "a pin for every column");
#define SWITCH_COUNT (BOARD_KEYS / BOARD_PAGES + BOARD_PAGE_KEYS)
#define PIN_LEDS 16

/* 125 MHz from the crystal (datasheet §2.18.2: VCO 1500 MHz = 12 MHz × 125, then ÷ 6 ÷ 2). */
#define XOSC_HZ 12000000u
#define SYS_HZ 125000000u

/* How long the firmware may hang before the watchdog resets it (§4.7; ticks count twice, RP2040-E1). */
#define HANG_MS 100u

static volatile bool tick_due;

static void unreset(uint32_t blocks) {
  RESETS_RESET_CLEAR = blocks;
  while ((RESETS_DONE & blocks) != blocks) {
  }
}

static void clocks_init(void) {
  /* §2.16.3: the crystal, its start-up delay in units of 256 cycles (≈ 1 ms). */
  XOSC_CTRL = XOSC_CTRL_1_15MHZ;
  XOSC_STARTUP = ((XOSC_HZ / 1000) + 128) / 256;
  XOSC_CTRL = XOSC_CTRL_1_15MHZ | XOSC_CTRL_ENABLE;
  while (!(XOSC_STATUS & XOSC_STATUS_STABLE)) {
  }
  /* §2.15.3: clk_ref from the crystal, clk_sys from clk_ref while the PLL starts (glitchless muxes). */
  CLK_SYS_RESUS_CTRL = 0;
  CLK_REF_CTRL = CLK_REF_SRC_XOSC;
  while (!(CLK_REF_SELECTED & (1u << CLK_REF_SRC_XOSC))) {
  }
  CLK_SYS_CTRL = 0;
  while (!(CLK_SYS_SELECTED & 1u)) {
  }
  /* §2.18.2: the system PLL, REFDIV 1, FBDIV 125, POSTDIV 6 and 2. */
  RESETS_RESET |= RESET_PLL_SYS;
  unreset(RESET_PLL_SYS);
  PLL_CS = 1;
  PLL_FBDIV_INT = 125;
  PLL_PWR &= ~(PLL_PWR_PD | PLL_PWR_VCOPD);
  while (!(PLL_CS & PLL_CS_LOCK)) {
  }
  PLL_PRIM = (6u << 16) | (2u << 12);
  PLL_PWR &= ~PLL_PWR_POSTDIVPD;
  /* clk_sys from the PLL through the aux mux; clk_peri (the UART's) from clk_sys. */
  CLK_SYS_CTRL = CLK_SYS_AUXSRC_PLL_SYS;
  CLK_SYS_CTRL = CLK_SYS_AUXSRC_PLL_SYS | CLK_SYS_SRC_AUX;
  while (!(CLK_SYS_SELECTED & (1u << CLK_SYS_SRC_AUX))) {
  }
  CLK_PERI_CTRL = CLK_PERI_ENABLE | CLK_PERI_AUXSRC_CLK_SYS;
  /* §4.7.2: the tick the timer counts microseconds by, from clk_ref (12 MHz). */
  WATCHDOG_TICK = (XOSC_HZ / 1000000u) | WATCHDOG_TICK_ENABLE;
}

static void uart_init(void) {
  unreset(RESET_UART0 | RESET_IO_BANK0 | RESET_PADS_BANK0);
  /* §4.2.7.1: divisor = clk_peri / (16 × baud) = 67.817 → 67 + 52/64. PROTOCOL.md §2: 115 200 8N1. */
  uint32_t divisor = (8u * SYS_HZ / 115200u + 1u) / 2u; /* ×64, rounded */
  UART_IBRD = divisor >> 6;
  UART_FBRD = divisor & 0x3f;
  UART_LCR_H = UART_LCR_H_WLEN_8 | UART_LCR_H_FEN;
  UART_CR = UART_CR_UARTEN | UART_CR_TXE | UART_CR_RXE;
  GPIO_CTRL(PIN_UART_TX) = FUNC_UART;
  GPIO_CTRL(PIN_UART_RX) = FUNC_UART;
  PAD(PIN_UART_RX) = PAD_IE | PAD_PUE | PAD_DRIVE_4MA;
  /* Received bytes wake the core (its sleep between ticks). */
  UART_IMSC = UART_IMSC_RXIM | UART_IMSC_RTIM;
  NVIC_ISER = 1u << IRQ_UART0;
}

void module_write(const uint8_t *bytes, size_t length) {
  for (size_t i = 0; i < length; i++) {
    while (UART_FR & UART_FR_TXFF) {
    }
    UART_DR = bytes[i];
  }
}

static void keys_init(void) {
  /* §2.19: rows driven low one at a time (else let float), columns read with pull-ups. */
  for (int r = 0; r < ROWS; r++) {
    GPIO_CTRL(ROW_PINS[r]) = FUNC_SIO;
    PAD(ROW_PINS[r]) = PAD_IE | PAD_DRIVE_4MA;
  }
  for (int c = 0; c < COLUMNS; c++) {
    GPIO_CTRL(COLUMN_PINS[c]) = FUNC_SIO;
    PAD(COLUMN_PINS[c]) = PAD_IE | PAD_PUE;
  }
}

/* Reads the matrix (diodes from each key to its row): a closed key pulls its column low while its row is. */
static void keys_scan(uint32_t now) {
  for (int r = 0; r < ROWS; r++) {
    SIO_GPIO_OUT_CLR = 1u << ROW_PINS[r];
    SIO_GPIO_OE_SET = 1u << ROW_PINS[r];
    for (volatile int settle = 0; settle < 20; settle++) {
    }
    uint32_t in = SIO_GPIO_IN;
    SIO_GPIO_OE_CLR = 1u << ROW_PINS[r];
    for (int c = 0; c < COLUMNS; c++) {
      /* The keys row by row, then the page keys row by row on the columns after them. */
      int index = c < KEY_COLUMNS ? r * KEY_COLUMNS + c
                                  : ROWS * KEY_COLUMNS + r * (COLUMNS - KEY_COLUMNS) + (c - KEY_COLUMNS);
      if (index < SWITCH_COUNT) module_switch(index, !(in & (1u << COLUMN_PINS[c])), now);
    }
  }
}

/*
 * WS2812B on PIO0's state machine 0 (§3.2, §3.4 instruction encodings). One bit is 10 PIO cycles of
 * 125 ns (1.25 µs, the LED's 800 kbit/s): high 2 cycles, then high 5 more for a 1 or low for a 0, then low
 * 3: T0H 250 ns, T1H 875 ns, within the WS2812B data sheet's ±150 ns of 0.4 and 0.8 µs… for T1H, and
 * its 0.85 µs T0L / 0.45 µs T1L as the remaining low time. Side-set drives the pin.
 *   0: out x, 1        side 0 [2]
 *   1: jmp !x 3        side 1 [1]
 *   2: jmp 0           side 1 [4]
 *   3: nop             side 0 [4]
 */
static const uint16_t WS2812_PROGRAM[] = {0x6221, 0x1123, 0x1400, 0xa442};

static void leds_init(void) {
  unreset(RESET_PIO0);
  for (unsigned i = 0; i < sizeof WS2812_PROGRAM / sizeof WS2812_PROGRAM[0]; i++) PIO_INSTR_MEM(i) = WS2812_PROGRAM[i];
  GPIO_CTRL(PIN_LEDS) = FUNC_PIO0;
  /* §3.7: one side-set pin (no enable bit), SET and side-set at PIN_LEDS; wrap 0..3. */
  PIO_SM0_PINCTRL = (1u << 29) | (1u << 26) | ((uint32_t)PIN_LEDS << 10) | ((uint32_t)PIN_LEDS << 5);
  PIO_SM0_EXECCTRL = (3u << 12) | (0u << 7);
  /* Shift left, autopull at 24 bits (GRB), TX FIFO joined (8 deep). */
  PIO_SM0_SHIFTCTRL = (1u << 30) | (24u << 25) | (1u << 17);
  /* 125 MHz ÷ 15.625 = 8 MHz: 125 ns a cycle. */
  PIO_SM0_CLKDIV = (15u << 16) | (160u << 8);
  /* set pindirs, 1: the pin is an output. */
  PIO_SM0_INSTR = 0xe081;
  PIO_CTRL = 1u; /* SM0 on */
}

/* Sends the chain its colors, 24 bits each, green first (WS2812B data sheet: G7..G0 R7..R0 B7..B0). */
static void leds_show(const uint32_t *rgb, int count) {
  for (int i = 0; i < count; i++) {
    uint32_t grb = ((rgb[i] & 0x00ff00) << 8) | ((rgb[i] & 0xff0000) >> 8) | (rgb[i] & 0xff);
    while (PIO_FSTAT & PIO_FSTAT_TXFULL0) {
    }
    PIO_TXF0 = grb << 8;
  }
}

static uint64_t micros(void) {
  uint32_t high, low;
  do {
    high = TIMER_TIMERAWH;
    low = TIMER_TIMERAWL;
  } while (high != TIMER_TIMERAWH);
  return ((uint64_t)high << 32) | low;
}

static void alarm_in(uint32_t us) {
  TIMER_INTR = 1u; /* clear */
  TIMER_ALARM0 = TIMER_TIMERAWL + us;
}

void isr_timer_0(void) {
  TIMER_INTR = 1u;
  tick_due = true;
}

void isr_uart0(void) {
  /* Bytes are read in the main loop; the interrupt only wakes it. Masked until then. */
  UART_IMSC = 0;
}

static void watchdog_start(void) {
  PSM_WDSEL = PSM_WDSEL_ALL_BUT_OSCILLATORS;
  WATCHDOG_LOAD = HANG_MS * 1000u * 2u;
  WATCHDOG_CTRL |= WATCHDOG_CTRL_ENABLE;
}

static void watchdog_feed(void) { WATCHDOG_LOAD = HANG_MS * 1000u * 2u; }

static char serial[24];

static void serial_init(void) {
  /* "RP2040-" and the chip's id in hexadecimal (§2.21). */
  static const char HEX[] = "0123456789abcdef";
  const char *prefix = "RP2040-";
  int n = 0;
  while (prefix[n]) {
    serial[n] = prefix[n];
    n++;
  }
  uint32_t id = SYSINFO_CHIP_ID;
  for (int shift = 28; shift >= 0; shift -= 4) serial[n++] = HEX[(id >> shift) & 0xf];
  serial[n] = 0;
}

int main(void) {
  clocks_init();
  unreset(RESET_TIMER);
  uart_init();
  keys_init();
  leds_init();
  serial_init();
  TIMER_INTE = 1u;
  NVIC_ISER = 1u << IRQ_TIMER_0;
  uint32_t now = (uint32_t)(micros() / 1000u);
  module_boot(now, serial);
  watchdog_start();
  uint32_t shown[BOARD_KEYS / BOARD_PAGES + BOARD_PAGE_KEYS];
  bool first = true;
  alarm_in(1000);
  for (;;) {
    while (!(UART_FR & UART_FR_RXFE)) module_receive((uint8_t)UART_DR, (uint32_t)(micros() / 1000u));
    UART_IMSC = UART_IMSC_RXIM | UART_IMSC_RTIM;
    if (tick_due) {
      tick_due = false;
      alarm_in(1000);
      now = (uint32_t)(micros() / 1000u);
      keys_scan(now);
      module_tick(now);
      const int lamps = BOARD_KEYS / BOARD_PAGES + BOARD_PAGE_KEYS;
      bool changed = first;
      for (int i = 0; i < lamps; i++) {
        uint32_t led = module_led(i, now);
        if (led != shown[i]) changed = true;
        shown[i] = led;
      }
      /* Only on a change: an unchanged chain is left alone (and stays latched). */
      if (changed) leds_show(shown, lamps);
      first = false;
      watchdog_feed();
    }
    /*
     * Sleep only if nothing is due, checked with interrupts masked: a tick that came while the last one
     * was being worked (a long frame written) would otherwise be lost, and the loop asleep for good. WFI
     * still wakes on a pending interrupt with PRIMASK set (ARMv6-M B1.5.19); it is taken after CPSIE.
     */
    __asm volatile("cpsid i" ::: "memory");
    if (!tick_due && (UART_FR & UART_FR_RXFE)) __asm volatile("wfi");
    __asm volatile("cpsie i" ::: "memory");
  }
}
