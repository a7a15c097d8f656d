#!/usr/bin/env bash
# Rebuilds the demo clips in data/demo/ from text, with espeak-ng and sox.
# The clips are synthetic speech made from sentences written for Earmark, so
# the project may redistribute them. Run from the repository root.
set -euo pipefail
out=data/demo
mkdir -p "$out"
say() {  # voice, speed, file, text
  espeak-ng -v "$1" -s "$2" -w "$out/.tmp.wav" "$4"
  # 16 kHz mono 16-bit with 0.4 s of silence around the speech
  sox "$out/.tmp.wav" -r 16000 -c 1 -b 16 "$3" pad 0.4 0.4
  rm -f "$out/.tmp.wav"
}
say en-us 150 "$out/weather_report.wav" "Good morning. Expect light rain before noon, then clearing skies and a cool breeze in the evening."
say en-gb 140 "$out/meeting_notes.wav" "Let's move the review to Thursday. Um, I think the second draft still needs, uh, a closer look."
say en-us+f3 160 "$out/kitchen_timer.wav" "The timer is set for twelve minutes. Stir the sauce twice and keep the lid on."
say en-gb+m3 130 "$out/train_announcement.wav" "The next train to Riverside departs from platform four. Please stand clear of the closing doors."
# A two-speaker call, one speaker per channel, taking turns.
say en-us 150 "$out/.a.wav" "Hello, thanks for calling. How can I help you today?"
say en-gb+f3 145 "$out/.b.wav" "Hi. I would like to change the date of my delivery, please."
len_a=$(soxi -D "$out/.a.wav")
sox "$out/.a.wav" "$out/.a_long.wav" pad 0 "$(soxi -D "$out/.b.wav")"
sox "$out/.b.wav" "$out/.b_long.wav" pad "$len_a" 0
sox -M "$out/.a_long.wav" "$out/.b_long.wav" "$out/support_call_stereo.wav"
rm -f "$out"/.a*.wav "$out"/.b*.wav
ls -l "$out"
