#!/bin/sh
# Writes examples/commands/ripgrep/corpus/: 700 files of English-like text,
# about 100 MB, the same on every machine (a fixed-seed generator in awk),
# for configs/commands/ripgrep.toml. Re-running it replaces the corpus.
set -eu
cd "$(dirname "$0")"
rm -rf corpus
mkdir corpus
awk 'BEGIN {
    split("the a of and to in is was for on that with as by at from it be this are or an " \
          "fleet harbour signal engine tuner process thread worker allocator heap memory " \
          "sorting merging running reading writing measuring tuning waiting building " \
          "quick slow careful honest noisy stable shared local remote static dynamic " \
          "report sample median interval verdict baseline matrix knob axis point run " \
          "river mountain garden window letter market station morning evening winter", w, " ");
    n = 0; for (k in w) n++;
    seed = 20261130;
    for (f = 0; f < 700; f++) {
        file = sprintf("corpus/part-%03d.txt", f);
        for (l = 0; l < 2000; l++) {
            line = "";
            for (i = 0; i < 12; i++) {
                seed = (seed * 1103515245 + 12345) % 2147483648;
                line = line (i ? " " : "") w[1 + int(seed / 65536) % n];
            }
            print line > file;
        }
        close(file);
    }
}'
du -sh corpus
