/*
 * The RP2040's registers this firmware uses, from the RP2040 datasheet (Raspberry Pi Ltd, build
 * 2023-06-14); each block cites its section. Atomic aliases (§2.1.2): +0x2000 XOR, +0x3000 clear.
 */
#ifndef LAMPFIELD_RP2040_H
#define LAMPFIELD_RP2040_H

#include <stdint.h>

#define REG(address) (*(volatile uint32_t *)(address))
#define SET_ALIAS 0x2000u
#define CLEAR_ALIAS 0x3000u

/* §2.14 Subsystem resets */
#define RESETS_BASE 0x4000c000u
#define RESETS_RESET REG(RESETS_BASE + 0x0)
#define RESETS_RESET_CLEAR REG(RESETS_BASE + CLEAR_ALIAS + 0x0)
#define RESETS_DONE REG(RESETS_BASE + 0x8)
#define RESET_IO_BANK0 (1u << 5)
#define RESET_PADS_BANK0 (1u << 8)
#define RESET_PIO0 (1u << 10)
#define RESET_PLL_SYS (1u << 12)
#define RESET_TIMER (1u << 21)
#define RESET_UART0 (1u << 22)

/* §2.16 Crystal oscillator (XOSC) */
#define XOSC_BASE 0x40024000u
#define XOSC_CTRL REG(XOSC_BASE + 0x0)
#define XOSC_STATUS REG(XOSC_BASE + 0x4)
#define XOSC_STARTUP REG(XOSC_BASE + 0xc)
#define XOSC_CTRL_1_15MHZ 0xaa0u
#define XOSC_CTRL_ENABLE (0xfabu << 12)
#define XOSC_STATUS_STABLE (1u << 31)

/* §2.18 PLL */
#define PLL_SYS_BASE 0x40028000u
#define PLL_CS REG(PLL_SYS_BASE + 0x0)
#define PLL_PWR REG(PLL_SYS_BASE + 0x4)
#define PLL_FBDIV_INT REG(PLL_SYS_BASE + 0x8)
#define PLL_PRIM REG(PLL_SYS_BASE + 0xc)
#define PLL_CS_LOCK (1u << 31)
#define PLL_PWR_PD (1u << 0)
#define PLL_PWR_POSTDIVPD (1u << 3)
#define PLL_PWR_VCOPD (1u << 5)

/* §2.15 Clocks */
#define CLOCKS_BASE 0x40008000u
#define CLK_REF_CTRL REG(CLOCKS_BASE + 0x30)
#define CLK_REF_SELECTED REG(CLOCKS_BASE + 0x38)
#define CLK_SYS_CTRL REG(CLOCKS_BASE + 0x3c)
#define CLK_SYS_SELECTED REG(CLOCKS_BASE + 0x44)
#define CLK_PERI_CTRL REG(CLOCKS_BASE + 0x48)
#define CLK_SYS_RESUS_CTRL REG(CLOCKS_BASE + 0x78)
#define CLK_REF_SRC_XOSC 2u
#define CLK_SYS_SRC_AUX 1u
#define CLK_SYS_AUXSRC_PLL_SYS (0u << 5)
#define CLK_PERI_ENABLE (1u << 11)
#define CLK_PERI_AUXSRC_CLK_SYS (0u << 5)

/* §2.19 GPIO: IO_BANK0, PADS_BANK0, and SIO's GPIO registers (§2.3.1.2) */
#define IO_BANK0_BASE 0x40014000u
#define GPIO_CTRL(pin) REG(IO_BANK0_BASE + 0x4 + 8u * (pin))
#define FUNC_UART 2u
#define FUNC_SIO 5u
#define FUNC_PIO0 6u
#define PADS_BANK0_BASE 0x4001c000u
#define PAD(pin) REG(PADS_BANK0_BASE + 0x4 + 4u * (pin))
#define PAD_IE (1u << 6)
#define PAD_PUE (1u << 3)
#define PAD_DRIVE_4MA (1u << 4)
#define SIO_BASE 0xd0000000u
#define SIO_CPUID REG(SIO_BASE + 0x0)
#define SIO_GPIO_IN REG(SIO_BASE + 0x4)
#define SIO_GPIO_OUT_SET REG(SIO_BASE + 0x14)
#define SIO_GPIO_OUT_CLR REG(SIO_BASE + 0x18)
#define SIO_GPIO_OE_SET REG(SIO_BASE + 0x24)
#define SIO_GPIO_OE_CLR REG(SIO_BASE + 0x28)

/* §4.2 UART (ARM PL011) */
#define UART0_BASE 0x40034000u
#define UART_DR REG(UART0_BASE + 0x0)
#define UART_FR REG(UART0_BASE + 0x18)
#define UART_IBRD REG(UART0_BASE + 0x24)
#define UART_FBRD REG(UART0_BASE + 0x28)
#define UART_LCR_H REG(UART0_BASE + 0x2c)
#define UART_CR REG(UART0_BASE + 0x30)
#define UART_IMSC REG(UART0_BASE + 0x38)
#define UART_ICR REG(UART0_BASE + 0x44)
#define UART_FR_RXFE (1u << 4)
#define UART_FR_TXFF (1u << 5)
#define UART_LCR_H_WLEN_8 (3u << 5)
#define UART_LCR_H_FEN (1u << 4)
#define UART_CR_UARTEN (1u << 0)
#define UART_CR_TXE (1u << 8)
#define UART_CR_RXE (1u << 9)
#define UART_IMSC_RXIM (1u << 4)
#define UART_IMSC_RTIM (1u << 6)

/* §4.6 Timer */
#define TIMER_BASE 0x40054000u
#define TIMER_ALARM0 REG(TIMER_BASE + 0x10)
#define TIMER_TIMERAWH REG(TIMER_BASE + 0x24)
#define TIMER_TIMERAWL REG(TIMER_BASE + 0x28)
#define TIMER_INTR REG(TIMER_BASE + 0x34)
#define TIMER_INTE REG(TIMER_BASE + 0x38)

/* §4.7 Watchdog; §2.13 Power-on state machine (which blocks a watchdog reset resets) */
#define WATCHDOG_BASE 0x40058000u
#define WATCHDOG_CTRL REG(WATCHDOG_BASE + 0x0)
#define WATCHDOG_LOAD REG(WATCHDOG_BASE + 0x4)
#define WATCHDOG_REASON REG(WATCHDOG_BASE + 0x8)
#define WATCHDOG_TICK REG(WATCHDOG_BASE + 0x2c)
#define WATCHDOG_CTRL_ENABLE (1u << 30)
#define WATCHDOG_TICK_ENABLE (1u << 9)
#define PSM_WDSEL REG(0x40010008u)
#define PSM_WDSEL_ALL_BUT_OSCILLATORS 0x0001fffcu

/* §3.7 PIO */
#define PIO0_BASE 0x50200000u
#define PIO_CTRL REG(PIO0_BASE + 0x0)
#define PIO_FSTAT REG(PIO0_BASE + 0x4)
#define PIO_TXF0 REG(PIO0_BASE + 0x10)
#define PIO_INSTR_MEM(i) REG(PIO0_BASE + 0x48 + 4u * (i))
#define PIO_SM0_CLKDIV REG(PIO0_BASE + 0xc8)
#define PIO_SM0_EXECCTRL REG(PIO0_BASE + 0xcc)
#define PIO_SM0_SHIFTCTRL REG(PIO0_BASE + 0xd0)
#define PIO_SM0_INSTR REG(PIO0_BASE + 0xd8)
#define PIO_SM0_PINCTRL REG(PIO0_BASE + 0xdc)
#define PIO_FSTAT_TXFULL0 (1u << 16)

/* §2.4.5 Cortex-M0+: SysTick is not used; the NVIC (§2.4.5.1.2) and the vector table offset. */
#define NVIC_ISER REG(0xe000e100u)
#define NVIC_ICPR REG(0xe000e280u)
#define PPB_VTOR REG(0xe000ed08u)
#define IRQ_TIMER_0 0
#define IRQ_UART0 20

/* §2.21 SYSINFO: the chip's id, for the module's serial number. */
#define SYSINFO_CHIP_ID REG(0x40000000u)

#endif
