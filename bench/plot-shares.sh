#!/bin/bash
# Read "data: share NAME A B RATIO" lines, write an SVG bar chart of B/A
# per controller with the 3.0 target marked.
awk '
BEGIN { n = 0 }
$1 == "data:" && $2 == "share" { name[n] = $3; r[n] = $6; n++ }
END {
	w = 760; bh = 26; top = 40; left = 260; scale = 110
	h = top + n * (bh + 8) + 40
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n", w, h
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	printf "<text x=\"10\" y=\"22\" font-size=\"15\">B/A bandwidth with weights 100:300 (target 3.0)</text>\n"
	for (i = 0; i < n; i++) {
		y = top + i * (bh + 8)
		gsub("_", " ", name[i])
		c = (r[i] >= 2.7 && r[i] <= 3.3) ? "#3a7" : "#c55"
		printf "<text x=\"10\" y=\"%d\">%s</text>\n", y + 18, name[i]
		printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", left, y, r[i] * scale, bh, c
		printf "<text x=\"%d\" y=\"%d\">%s</text>\n", left + r[i] * scale + 6, y + 18, r[i]
	}
	x = left + 3 * scale
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\" stroke-dasharray=\"4 3\"/>\n", x, top - 6, x, h - 30
	printf "<text x=\"%d\" y=\"%d\">3.0</text>\n", x - 8, h - 14
	printf "</svg>\n"
}'
