/*
 * fuzz-pci-addr - libFuzzer target for the one PCI address parser.
 *
 * Properties: the parser never reads past @size, accepts only the canonical form, and what it
 * accepts formats back to exactly the input. Build with clang -fsanitize=fuzzer for real
 * fuzzing (see HACKING.md); make check links fuzz-main.c instead and replays the seed corpus.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pci-addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pci_addr a;
	char buf[PCI_ADDR_LEN + 1];
	char *copy;

	/* An exact-size heap copy, so ASan sees any read past the end. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (pci_addr_parse_n(copy, size, &a) == 0) {
		pci_addr_format(&a, buf);
		if (size != PCI_ADDR_LEN || memcmp(buf, copy, PCI_ADDR_LEN) != 0)
			abort(); /* accepted something that is not canonical */
	}
	free(copy);
	return 0;
}
