import { describe, expect, it } from "vitest";
import {
  decimatePeaks,
  decodePeaks,
  fileNameOf,
  maxOfChannels,
  maxPeakOf,
  overviewFromBytes,
  RATES,
  resolveSettings,
  stepRate,
} from "../src/protocol";

describe("settings", () => {
  it("default to the documented values (Prodigy's names)", () => {
    expect(resolveSettings(null)).toEqual({
      show_audio_cursor: true,
      show_audio_cursor_time: true,
      show_audio_timeline: true,
      show_audio_minimap: true,
      audio_autoplay: false,
      audio_loop: false,
      audio_rate: 1,
      audio_max_zoom: 5000,
      audio_bar_width: 0,
      audio_bar_height: 1,
      audio_bar_gap: 0,
      audio_bar_radius: 0,
      audio_vertical_zoom: 1,
      audio_min_region: 0.02,
      show_audio_spectrogram: false,
      audio_spectrogram_max_freq: 8000,
      audio_lanes: "channels",
      theme_labels: {},
    });
  });

  it("take every value given, within bounds", () => {
    const s = resolveSettings({
      show_audio_cursor: false,
      show_audio_cursor_time: false,
      show_audio_timeline: false,
      show_audio_minimap: false,
      audio_autoplay: true,
      audio_loop: true,
      audio_rate: 0.1,
      audio_max_zoom: 1e9,
      audio_bar_width: 60,
      audio_bar_height: 0,
      audio_bar_gap: -1,
      audio_bar_radius: 51,
      audio_vertical_zoom: 40,
      audio_min_region: 0,
      show_audio_spectrogram: true,
      audio_spectrogram_max_freq: 50,
      audio_lanes: "labels",
    });
    expect(s).toEqual({
      show_audio_cursor: false,
      show_audio_cursor_time: false,
      show_audio_timeline: false,
      show_audio_minimap: false,
      audio_autoplay: true,
      audio_loop: true,
      audio_rate: 0.5,
      audio_max_zoom: 100000,
      audio_bar_width: 50,
      audio_bar_height: 0.1,
      audio_bar_gap: 0,
      audio_bar_radius: 50,
      audio_vertical_zoom: 16,
      audio_min_region: 0.001,
      show_audio_spectrogram: true,
      audio_spectrogram_max_freq: 100,
      audio_lanes: "labels",
      theme_labels: {},
    });
  });

  it("read numbers written as text, and fall back on anything else", () => {
    expect(resolveSettings({ audio_rate: "1.5" }).audio_rate).toBe(1.5);
    expect(resolveSettings({ audio_rate: " 0.75 " }).audio_rate).toBe(0.75);
    expect(resolveSettings({ audio_rate: "" }).audio_rate).toBe(1);
    expect(resolveSettings({ audio_rate: "  " }).audio_rate).toBe(1);
    expect(resolveSettings({ audio_rate: "fast" }).audio_rate).toBe(1);
    expect(resolveSettings({ audio_rate: NaN }).audio_rate).toBe(1);
    expect(resolveSettings({ audio_rate: true }).audio_rate).toBe(1);
    expect(resolveSettings({ audio_loop: "yes" }).audio_loop).toBe(false);
  });

  it("keep only the string colours of the theme", () => {
    expect(resolveSettings({ custom_theme: null }).theme_labels).toEqual({});
    expect(resolveSettings({ custom_theme: {} }).theme_labels).toEqual({});
    expect(resolveSettings({ custom_theme: { labels: { A: "red", B: 3 as unknown as string } } }).theme_labels).toEqual({ A: "red" });
  });
});

describe("playback rates", () => {
  it("walk the ladder up and down, one step at a time", () => {
    expect(RATES).toEqual([0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    const up: number[] = [];
    for (let rate = 0.5; up.length < 7; ) up.push((rate = stepRate(rate, 1)));
    expect(up).toEqual([0.75, 1, 1.25, 1.5, 1.75, 2, 2]);
    const down: number[] = [];
    for (let rate = 2; down.length < 7; ) down.push((rate = stepRate(rate, -1)));
    expect(down).toEqual([1.75, 1.5, 1.25, 1, 0.75, 0.5, 0.5]);
    expect(stepRate(1.1, 1)).toBe(1.25);
  });
});

describe("peaks", () => {
  it("decode into as many channels as said, each its own bytes over 255", () => {
    const out = decodePeaks(new Uint8Array([0, 255, 51, 102, 204, 255]), 2);
    expect(out.map((c) => Array.from(c))).toEqual([
      [0, 1, Math.fround(0.2)],
      [Math.fround(0.4), Math.fround(0.8), 1],
    ]);
    expect(decodePeaks(new Uint8Array([255, 0]), 0).map((c) => Array.from(c))).toEqual([[1, 0]]);
  });

  it("have a maximum, in bytes and in channels", () => {
    expect(maxPeakOf(new Uint8Array([3, 51, 7]))).toBe(51 / 255);
    expect(maxPeakOf(new Uint8Array([]))).toBe(0);
    expect(maxOfChannels([Float32Array.from([0.25, 0.5]), Float32Array.from([0.75, 0.125])])).toBe(0.75);
    expect(maxOfChannels([Float32Array.from([0.5]), Float32Array.from([0.25])])).toBe(0.5);
    expect(maxOfChannels([])).toBe(0);
  });

  it("decimate to the max of each group, the last group shorter", () => {
    const ch = Float32Array.from([0.25, 0.5, 0.125, 0, 0.75, 0.25, 0.5]);
    expect(decimatePeaks([ch], 3).map((c) => Array.from(c))).toEqual([[0.5, 0.75, 0.5]]);
    expect(decimatePeaks([], 3)).toEqual([]);
  });

  it("give the overview from the bytes: the max of each group, per channel", () => {
    const bytes = new Uint8Array([0, 255, 51, 102, 10, 20, 30, 40]);
    expect(overviewFromBytes(bytes, 2, 1).map((c) => Array.from(c))).toEqual([[1], [Math.fround(40 / 255)]]);
    expect(overviewFromBytes(bytes, 2, 2).map((c) => Array.from(c))).toEqual([
      [1, Math.fround(102 / 255)],
      [Math.fround(20 / 255), Math.fround(40 / 255)],
    ]);
    expect(overviewFromBytes(bytes, 2, 100).map((c) => Array.from(c))).toEqual(decodePeaks(bytes, 2).map((c) => Array.from(c)));
  });
});

describe("file names", () => {
  it("are the last part of the URL's path, decoded", () => {
    expect(fileNameOf("")).toBe("(no audio)");
    expect(fileNameOf("http://h/a/b/")).toBe("b");
    expect(fileNameOf("/api/media/0123abcd?token=x")).toBe("0123abcd");
  });

  it("are the URL itself when it cannot be read", () => {
    expect(fileNameOf("http://[bad")).toBe("http://[bad");
    expect(fileNameOf("/x/%E0%A4%A")).toBe("/x/%E0%A4%A");
    expect(fileNameOf("http://h/")).toBe("http://h/");
  });
});
