#!/bin/bash
# Read "data: latency NAME P99_US N_KIBS N_PCT" lines, write an SVG
# scatter plot: the victim's p99 (log scale) against the neighbour's
# throughput as a part of its rate alone, one point per controller.
awk '
function ly(v) { return top + ph - (log(v < 10 ? 10 : v) / log(10) - 1) / 4 * ph }
BEGIN { n = 0 }
$1 == "data:" && $2 == "latency" && $4 > 0 { name[n] = $3; p[n] = $4; x[n] = $6; n++ }
END {
	w = 760; h = 460; left = 80; top = 40; pw = 420; ph = 360
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	printf "<text x=\"10\" y=\"22\" font-size=\"15\">Victim p99 against neighbour throughput (one point per controller)</text>\n"
	printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>\n", left, top, pw, ph
	for (e = 1; e <= 5; e++) {	# 10 us .. 100 ms
		y = top + ph - (e - 1) / 4 * ph
		printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n", left, y, left + pw, y
		printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 6, y + 4, e == 1 ? "10 us" : e == 2 ? "100 us" : e == 3 ? "1 ms" : e == 4 ? "10 ms" : "100 ms"
	}
	for (t = 0; t <= 100; t += 20) {
		xx = left + t / 100 * pw
		printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%d%%</text>\n", xx, top + ph + 18, t
	}
	x80 = left + 0.8 * pw
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\" stroke-dasharray=\"4 3\"/>\n", x80, top, x80, top + ph
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">neighbour throughput, %% of alone (80%% marked)</text>\n", left + pw / 2, top + ph + 40
	for (i = 0; i < n; i++) {
		gsub("_", " ", name[i])
		xx = left + (x[i] > 110 ? 110 : x[i]) / 100 * pw
		yy = ly(p[i])
		c = name[i] ~ /target/ ? "#3a7" : "#c55"
		printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"/>\n", xx, yy, c
		printf "<text x=\"%d\" y=\"%d\">%s: %s us, %s%%</text>\n", left + pw + 16, top + 16 + i * 20, name[i], p[i], x[i]
		printf "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%d\" y2=\"%d\" stroke=\"#bbb\"/>\n", xx, yy, left + pw + 14, top + 12 + i * 20
	}
	printf "</svg>\n"
}'
