/*
 * Start-up for the Cortex-M0+ (RP2040 datasheet §2.4): the vector table at the start of the image after
 * boot2 (0x10000100, where boot2 points VTOR, §2.8.1), the reset handler that copies .data to RAM and
 * clears .bss before main, and the interrupts this firmware takes (§2.3.2: IRQ 0 TIMER_0, 20 UART0).
 */
#include <stdint.h>
#include <string.h>

extern uint32_t __stack_top, __data_start, __data_end, __data_load, __bss_start, __bss_end;
int main(void);
void isr_timer_0(void);
void isr_uart0(void);

static void reset(void);

static void hang(void) {
  /* A fault: wait for the watchdog (its reset brings the module back, §6.4). */
  for (;;) {
  }
}

static void ignore(void) {}

__attribute__((section(".vectors"), used)) void (*const vectors[48])(void) = {
    (void (*)(void))(&__stack_top),
    reset,
    hang, /* NMI */
    hang, /* HardFault */
    0, 0, 0, 0, 0, 0, 0,
    ignore, /* SVCall */
    0, 0,
    ignore, /* PendSV */
    ignore, /* SysTick */
    [16 + 0] = isr_timer_0,
    [16 + 1] = ignore, [16 + 2] = ignore, [16 + 3] = ignore, [16 + 4] = ignore, [16 + 5] = ignore,
    [16 + 6] = ignore, [16 + 7] = ignore, [16 + 8] = ignore, [16 + 9] = ignore, [16 + 10] = ignore,
    [16 + 11] = ignore, [16 + 12] = ignore, [16 + 13] = ignore, [16 + 14] = ignore, [16 + 15] = ignore,
    [16 + 16] = ignore, [16 + 17] = ignore, [16 + 18] = ignore, [16 + 19] = ignore,
    [16 + 20] = isr_uart0,
    [16 + 21] = ignore, [16 + 22] = ignore, [16 + 23] = ignore, [16 + 24] = ignore, [16 + 25] = ignore,
    [16 + 26] = ignore, [16 + 27] = ignore, [16 + 28] = ignore, [16 + 29] = ignore, [16 + 30] = ignore,
    [16 + 31] = ignore,
};

static void reset(void) {
  /* As boot2 leaves it on a board; set again so that a start straight from the table (an emulator) works. */
  *(volatile uint32_t *)0xe000ed08u = (uint32_t)vectors;
  memcpy(&__data_start, &__data_load, (size_t)((uint8_t *)&__data_end - (uint8_t *)&__data_start));
  memset(&__bss_start, 0, (size_t)((uint8_t *)&__bss_end - (uint8_t *)&__bss_start));
  main();
  hang();
}
