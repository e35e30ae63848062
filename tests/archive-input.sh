#!/bin/sh
# archive-input.sh N SEED: N generated lines for the persistent-index tests,
# about a third of them exact or near copies (one word changed) of an
# earlier line, so runs find duplicates both in memory and in the archive.
awk -v n="$1" -v seed="$2" 'BEGIN {
    srand(seed)
    for (i = 0; i < 3000; i++) {
        w = ""
        for (k = 0; k < 2 + int(rand() * 7); k++) w = w sprintf("%c", 97 + int(rand() * 26))
        vocab[i] = w
    }
    for (i = 0; i < n; i++) {
        r = rand()
        if (i > 10 && r < 0.15) { line[i] = line[int(rand() * i)] }
        else if (i > 10 && r < 0.33) {
            split(line[int(rand() * i)], t, " ")
            t[1 + int(rand() * 20)] = vocab[int(rand() * 3000)]
            s = t[1]; for (k = 2; k <= 20; k++) s = s " " t[k]
            line[i] = s
        } else {
            s = vocab[int(rand() * 3000)]
            for (k = 2; k <= 20; k++) s = s " " vocab[int(rand() * 3000)]
            line[i] = s
        }
        printf "{\"id\":\"d%d\",\"text\":\"%s\"}\n", i, line[i]
    }
}'
