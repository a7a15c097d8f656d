import { describe, expect, it } from "vitest";
import {
  formatFrequency,
  frequencyTicks,
  imageSize,
  imageUrl,
  initiallyShown,
  LANE_HEIGHT,
  laneShowsRegion,
  MAX_IMAGE_HEIGHT,
  MIN_CHANNEL_LANE_HEIGHT,
  MAX_IMAGE_WIDTH,
  placement,
  spectrogramLanes,
  visibleWindow,
} from "../src/spectrogram_view";
import { buildKeymap } from "../src/keys";

describe("the window in view", () => {
  it("is the whole file when fitted", () => {
    expect(visibleWindow(0, 1000, 1000, 3600)).toEqual({ start: 0, end: 3600 });
  });

  it("follows zoom and scroll", () => {
    // 100 px/s over a 60 s file, scrolled 1500 px: 15 s to 25 s in a 1000 px view
    const w = visibleWindow(1500, 1000, 6000, 60)!;
    expect(w.start).toBeCloseTo(15, 9);
    expect(w.end).toBeCloseTo(25, 9);
  });

  it("stops at the end and has nothing to show without a size", () => {
    expect(visibleWindow(5500, 1000, 6000, 60)!.end).toBe(60);
    expect(visibleWindow(0, 0, 6000, 60)).toBeNull();
    expect(visibleWindow(0, 1000, 0, 60)).toBeNull();
    expect(visibleWindow(0, 1000, 1000, 0)).toBeNull();
  });
});

describe("the image asked for", () => {
  it("has one pixel per device pixel of the lane, never more", () => {
    expect(imageSize(1200, 160, 1)).toEqual({ width: 1200, height: 160 });
    expect(imageSize(1200, 160, 2)).toEqual({ width: 2400, height: 320 });
    expect(imageSize(1200.7, 160, 1.5)).toEqual({ width: 1801, height: 240 });
  });

  it("stays within the server's limits", () => {
    expect(imageSize(3000, 800, 3)).toEqual({ width: MAX_IMAGE_WIDTH, height: MAX_IMAGE_HEIGHT });
    expect(imageSize(0, 160, 1)).toBeNull();
    expect(imageSize(100, 160, NaN)).toEqual({ width: 100, height: 160 });
  });

  it("carries the window in the file's time, the size and the top frequency", () => {
    const url = imageUrl("/api/media/abc/spectrogram", 0, { start: 1.23456, end: 11.5, width: 800, height: 160 }, 8000);
    expect(url).toBe("/api/media/abc/spectrogram?start=1.235&end=11.500&width=800&height=160&max_freq=8000");
  });

  it("adds the clip's offset and keeps the channel already in the URL", () => {
    const url = imageUrl("/api/media/abc/spectrogram?channel=1", 120, { start: 0, end: 2, width: 10, height: 20 }, 5000);
    const q = new URL(url, "http://x/").searchParams;
    expect(q.get("channel")).toBe("1");
    expect(q.get("start")).toBe("120.000");
    expect(q.get("end")).toBe("122.000");
    expect(q.get("max_freq")).toBe("5000");
  });
});

describe("an image of an earlier view", () => {
  it("stays where its times are now: shifted when scrolled", () => {
    // drawn for 10-20 s, now showing 12-22 s at 100 px/s
    expect(placement({ start: 10, end: 20 }, { start: 12, end: 22 }, 100)).toEqual({ left: -200, width: 1000 });
  });

  it("stretched when zoomed in, squeezed when zoomed out", () => {
    expect(placement({ start: 0, end: 60 }, { start: 20, end: 30 }, 100)).toEqual({ left: -2000, width: 6000 });
    const squeezed = placement({ start: 20, end: 30 }, { start: 0, end: 60 }, 1000 / 60);
    expect(squeezed.left).toBeCloseTo(333.333, 3);
    expect(squeezed.width).toBeCloseTo(166.667, 3);
  });
});

describe("the frequency axis", () => {
  it("labels a few round frequencies below the top", () => {
    expect(frequencyTicks(8000)).toEqual([2000, 4000, 6000]);
    expect(frequencyTicks(5000)).toEqual([1000, 2000, 3000, 4000]);
    expect(frequencyTicks(22050)).toEqual([5000, 10000, 15000, 20000]);
    expect(frequencyTicks(0)).toEqual([]);
    for (const top of [300, 1000, 4000, 11025, 24000, 96000]) {
      const ticks = frequencyTicks(top);
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(5);
      expect(Math.max(...ticks)).toBeLessThan(top);
    }
  });

  it("writes kHz short", () => {
    expect(formatFrequency(500)).toBe("500");
    expect(formatFrequency(2000)).toBe("2k");
    expect(formatFrequency(2500)).toBe("2.5k");
  });
});

describe("the toggle", () => {
  it("starts from the tab's last choice, else the setting", () => {
    expect(initiallyShown(null, false)).toBe(false);
    expect(initiallyShown(null, true)).toBe(true);
    expect(initiallyShown("1", false)).toBe(true);
    expect(initiallyShown("0", true)).toBe(false);
    expect(initiallyShown("junk", true)).toBe(true);
  });

  it("is the s key, remappable, and gives way to a label that claims s", () => {
    expect(buildKeymap().get("s")).toBe("toggle_spectrogram");
    const remapped = buildKeymap({ toggle_spectrogram: "g" });
    expect(remapped.get("g")).toBe("toggle_spectrogram");
    expect(remapped.get("s")).toBeUndefined();
    expect(buildKeymap({}, ["s"]).get("s")).toBe("label_1");
  });
});

describe("the lanes", () => {
  it("is one lane on the URL as given for a mono file", () => {
    expect(spectrogramLanes("/api/media/m/spectrogram", 1)).toEqual([
      { channel: null, url: "/api/media/m/spectrogram", height: LANE_HEIGHT },
    ]);
  });

  it("is one lane per channel of a file shown as channel lanes, each asking for its channel", () => {
    const lanes = spectrogramLanes("/api/media/m/spectrogram", 2);
    expect(lanes.map((l) => l.channel)).toEqual([0, 1]);
    expect(lanes.map((l) => l.url)).toEqual(["/api/media/m/spectrogram?channel=0", "/api/media/m/spectrogram?channel=1"]);
    // split between the channels, but never below the least readable height
    expect(lanes[0].height).toBe(Math.max(MIN_CHANNEL_LANE_HEIGHT, LANE_HEIGHT / 2));
    expect(spectrogramLanes("/s", 6).every((l) => l.height === MIN_CHANNEL_LANE_HEIGHT)).toBe(true);
  });

  it("keeps a query the URL already has", () => {
    expect(spectrogramLanes("/s?token=1", 2)[1].url).toBe("/s?token=1&channel=1");
  });

  it("is one lane for a task that is one channel of its file", () => {
    expect(spectrogramLanes("/s?channel=1", 2)).toEqual([{ channel: null, url: "/s?channel=1", height: LANE_HEIGHT }]);
  });

  it("shows a channel's regions and the all-channel ones", () => {
    expect(laneShowsRegion(1, 1)).toBe(true);
    expect(laneShowsRegion(1, null)).toBe(true);
    expect(laneShowsRegion(1, undefined)).toBe(true);
    expect(laneShowsRegion(1, 0)).toBe(false);
    expect(laneShowsRegion(null, 0)).toBe(true);
  });
});

describe("edge cases of the view arithmetic", () => {
  it("has nothing in view once scrolled past the end", () => {
    expect(visibleWindow(6000, 1000, 6000, 60)).toBeNull();
    expect(visibleWindow(7000, 1000, 6000, 60)).toBeNull();
    expect(visibleWindow(0, 1000, 6000, -60)).toBeNull();
  });

  it("asks one pixel per CSS pixel when the device ratio is unusable", () => {
    expect(imageSize(100, 160, 0)).toEqual({ width: 100, height: 160 });
    expect(imageSize(100, 160, -2)).toEqual({ width: 100, height: 160 });
    expect(imageSize(100, 160, Infinity)).toEqual({ width: 100, height: 160 });
    expect(imageSize(1, 1, 1)).toEqual({ width: 1, height: 1 });
    expect(imageSize(0.5, 160, 1)).toBeNull();
    expect(imageSize(100, 0.5, 1)).toBeNull();
  });

  it("joins the query to a URL that ends in ? or &", () => {
    const req = { start: 0, end: 1, width: 10, height: 20 };
    expect(imageUrl("/s?", 0, req, 8000)).toBe("/s?start=0.000&end=1.000&width=10&height=20&max_freq=8000");
    expect(imageUrl("/s?token=1&", 0, req, 8000)).toBe("/s?token=1&start=0.000&end=1.000&width=10&height=20&max_freq=8000");
    expect(imageUrl("/s?token=1", 0, req, 7999.6)).toBe("/s?token=1&start=0.000&end=1.000&width=10&height=20&max_freq=8000");
    expect(spectrogramLanes("/s?", 2).map((l) => l.url)).toEqual(["/s?channel=0", "/s?channel=1"]);
    expect(spectrogramLanes("/s?token=1&", 2).map((l) => l.url)).toEqual(["/s?token=1&channel=0", "/s?token=1&channel=1"]);
  });

  it("leaves out a frequency too close to the top to label", () => {
    // step 1000 (4250 / 500 is more than 5); 4000 is within a quarter step of 4250
    expect(frequencyTicks(4250)).toEqual([1000, 2000, 3000]);
    expect(frequencyTicks(4300)).toEqual([1000, 2000, 3000, 4000]);
    expect(frequencyTicks(300)).toEqual([100, 200]);
    expect(frequencyTicks(1e6)).toEqual([50000, 100000, 150000, 200000, 250000, 300000, 350000, 400000, 450000, 500000,
      550000, 600000, 650000, 700000, 750000, 800000, 850000, 900000, 950000]);
  });

  it("writes 1000 Hz as 1k and rounds below it", () => {
    expect(formatFrequency(1000)).toBe("1k");
    expect(formatFrequency(999.6)).toBe("1000");
    expect(formatFrequency(250.4)).toBe("250");
  });

  it("never splits a three-channel waveform's lane below the least height", () => {
    expect(spectrogramLanes("/s", 3).map((l) => [l.channel, l.url, l.height])).toEqual([
      [0, "/s?channel=0", 100],
      [1, "/s?channel=1", 100],
      [2, "/s?channel=2", 100],
    ]);
    expect(laneShowsRegion(0, 0)).toBe(true);
    expect(laneShowsRegion(1, 0)).toBe(false);
    expect(laneShowsRegion(0, 1)).toBe(false);
  });
});
