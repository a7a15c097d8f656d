"""Audio: reading files (headers, samples, windows, channels) and what is drawn from them.

Peaks for the waveform, spectrogram images and WAV windows for the browser.
"""
