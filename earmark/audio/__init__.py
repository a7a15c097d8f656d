"""Audio: reading files (headers, samples, windows, channels) and what is drawn from them.

`probe` reads headers; `reader` is the one way samples are read (its
`backends`: WAV, libsndfile, ffmpeg; `samples`: the full scale and sample
conversions). Drawn from them: peaks for the waveform, spectrogram images and
WAV windows for the browser.
"""
