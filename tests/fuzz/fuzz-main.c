/*
 * fuzz-main - replay a libFuzzer corpus without libFuzzer, as a TAP test.
 *
 *   fuzz-TARGET DIR...   runs LLVMFuzzerTestOneInput on every file; a crash fails the test.
 */
#include <config.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef PASSD_LIBFUZZER /* configure --enable-fuzzing: libFuzzer brings its own main */

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rbe");
	static uint8_t buf[1 << 20];
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return LLVMFuzzerTestOneInput(buf, n);
}

int main(int argc, char **argv)
{
	int count = 0;

	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		if (!d) {
			printf("1..0 # SKIP cannot open corpus %s\n", argv[i]);
			return 0;
		}
		while ((e = readdir(d))) {
			char path[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (run_file(path) != 0) {
				printf("not ok 1 - %s\n", path);
				return 1;
			}
			count++;
		}
		closedir(d);
	}
	printf("1..1\nok 1 - %d corpus inputs replayed without a crash\n", count);
	return 0;
}
#endif
