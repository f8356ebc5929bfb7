#!/bin/bash
# Print the version of the Debian kernel to test with: the newest one under
# /lib/modules that has both a kbuild tree and a kernel image.
for d in $(ls -1 /lib/modules 2>/dev/null | sort -rV); do
	if [ -e "/lib/modules/$d/build/Makefile" ] && [ -e "/boot/vmlinuz-$d" ]; then
		echo "$d"
		exit 0
	fi
done
echo "kernel.sh: no kernel with headers and image; run 'make deps'" >&2
exit 1
