/*
 * l2-edu.S - a bare PVH kernel for the VM tier's L2 domain: finds QEMU's edu device on the PCI
 * bus (config mechanism #1), reads its identity and liveness registers through BAR0 (the BAR
 * that SeaBIOS assigned and that L1's vfio-pci passes through), prints them on COM1 and powers
 * off. Booting Linux in nested TCG takes minutes; this takes seconds.
 */
	.section .note.pvh, "a"
	.p2align 2
	.long 4			/* name size: "Xen\0" */
	.long 4			/* desc size */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:				/* PVH: 32-bit flat protected mode, no paging, no stack */
	cli
	movl $stack_top, %esp
	movl $msg_up, %esi
	call puts
	xorl %ebx, %ebx		/* bus << 16 | slot << 11 */
scan:
	movl %ebx, %eax
	orl $0x80000000, %eax
	movl $0xcf8, %edx
	outl %eax, %dx
	movl $0xcfc, %edx
	inl %dx, %eax
	cmpl $0x11e81234, %eax	/* edu: vendor 1234, device 11e8 */
	je found
	addl $0x800, %ebx
	cmpl $0x00100000, %ebx	/* buses 0-15 */
	jb scan
	movl $msg_none, %esi
	call puts
	jmp off
found:
	movl %ebx, %eax		/* command: memory space on */
	orl $0x80000004, %eax
	movl $0xcf8, %edx
	outl %eax, %dx
	movl $0xcfc, %edx
	inw %dx, %ax
	orw $0x0002, %ax
	outw %ax, %dx
	movl %ebx, %eax		/* BAR0 */
	orl $0x80000010, %eax
	movl $0xcf8, %edx
	outl %eax, %dx
	movl $0xcfc, %edx
	inl %dx, %eax
	andl $0xfffffff0, %eax
	movl %eax, %edi
	movl $msg_ident, %esi
	call puts
	movl (%edi), %eax
	call puthex
	movl $0x12345678, 4(%edi)	/* liveness: reads back the bitwise NOT */
	movl $msg_live, %esi
	call puts
	movl 4(%edi), %eax
	call puthex
	movl $msg_nl, %esi
	call puts
off:
	movl $0x604, %edx	/* ICH9 PM1a_CNT (SeaBIOS puts PM at 0x600): SLP_EN, S5 */
	movw $0x2000, %ax
	outw %ax, %dx
1:	hlt
	jmp 1b

/* puts: the NUL-terminated string at %esi to COM1. */
puts:
	movl $0x3f8, %edx
2:	lodsb
	testb %al, %al
	jz 3f
	outb %al, %dx
	jmp 2b
3:	ret

/* puthex: %eax as 0xXXXXXXXX to COM1. */
puthex:
	movl %eax, %ecx
	movl $0x3f8, %edx
	movb $'0', %al
	outb %al, %dx
	movb $'x', %al
	outb %al, %dx
	movl $8, %esi
4:	roll $4, %ecx
	movl %ecx, %eax
	andl $0xf, %eax
	movb hexdigits(%eax), %al
	outb %al, %dx
	decl %esi
	jnz 4b
	ret

	.section .rodata
hexdigits:	.ascii "0123456789ABCDEF"
msg_up:		.asciz "L2: up\n"
msg_none:	.asciz "L2: no edu device\n"
msg_ident:	.asciz "L2: edu ident="
msg_live:	.asciz " liveness="
msg_nl:		.asciz "\n"

	.bss
	.p2align 4
	.skip 4096
stack_top:
