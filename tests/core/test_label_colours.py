"""Label colours: CIEDE2000 against published reference pairs, and the colours
`label_colors` gives datasets of 2 to 12 labels, with and without theme colours."""

from __future__ import annotations

import itertools

import pytest

from components.waveform import MIN_DISTANCE, PALETTE, label_colors
from components.waveform.colour_distance import ciede2000, contrast_ratio, parse_color, srgb_to_lab

# Sharma, Wu and Dalal (2005), "The CIEDE2000 Color-Difference Formula: Implementation
# Notes, Supplementary Test Data, and Mathematical Observations", Table 1 (pairs 1, 4,
# 7, 10, 11, 13, 15, 16, 17, 19, 25, 29, 32, 34).
SHARMA = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0000),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0010), 7.1792),
    ((50.0, 2.4900, -0.0010), (50.0, -2.4900, 0.0011), 7.2195),
    ((50.0, -0.0010, 2.4900), (50.0, 0.0009, -2.4900), 4.8045),
    ((50.0, -0.0010, 2.4900), (50.0, 0.0011, -2.4900), 4.7461),
    ((50.0, 2.5, 0.0), (50.0, 0.0, -2.5), 4.3065),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


@pytest.mark.parametrize("lab1,lab2,expected", SHARMA)
def test_ciede2000_gives_the_published_differences(lab1, lab2, expected):
    assert round(ciede2000(lab1, lab2), 4) == expected
    assert round(ciede2000(lab2, lab1), 4) == expected


def test_srgb_to_lab_under_d65():
    white = srgb_to_lab((255, 255, 255))
    assert white == pytest.approx((100.0, 0.0, 0.0), abs=1e-3)
    # sRGB red and blue (IEC 61966-2-1 primaries) in CIELAB D65
    assert srgb_to_lab((255, 0, 0)) == pytest.approx((53.2408, 80.0925, 67.2032), abs=2e-3)
    assert srgb_to_lab((0, 0, 255)) == pytest.approx((32.2970, 79.1875, -107.8602), abs=2e-3)
    assert parse_color("#2ca02c") == (44, 160, 44) == parse_color("rgb(44, 160, 44)")
    assert parse_color("red") == (255, 0, 0) and parse_color("not a colour") is None


def distance(a: str, b: str) -> float:
    return ciede2000(srgb_to_lab(parse_color(a)), srgb_to_lab(parse_color(b)))


def test_the_two_greens_of_a_two_label_dataset_are_gone():
    assert distance("rgb(44,160,44)", "rgb(99,121,57)") < MIN_DISTANCE    # what two labels once got
    two = label_colors(["SPEAKER_1", "SPEAKER_2"])
    assert distance(*two.values()) >= MIN_DISTANCE


def test_the_palette_is_distinct_and_readable_on_white():
    assert min(distance(a, b) for a, b in itertools.combinations(PALETTE, 2)) >= 21
    for color in PALETTE:
        rgb = parse_color(color)
        assert contrast_ratio(rgb, (255, 255, 255)) >= 3.0, color        # a line or swatch on the page
        assert max(contrast_ratio(rgb, (0, 0, 0)), contrast_ratio(rgb, (255, 255, 255))) >= 4.5  # chip text
        # as a region fill (28 % over white) it still shows against the page
        fill = tuple(round(255 - (255 - c) * 0.28) for c in rgb)
        assert distance(color, "#ffffff") > distance("#" + "".join(f"{c:02x}" for c in fill), "#ffffff") > 5


NAMES = [f"SPEAKER_{i:02d}" for i in range(12)]
# theme colours a dataset may well set: primaries, black, grey, the old greens, palette entries
THEMES = ["#ff0000", "#00aa00", "#0000ff", "black", "#888888", "rgb(44,160,44)", "#637939", "#ffff00",
          PALETTE[0], PALETTE[3], PALETTE[7]]


def assert_apart(colors: dict[str, str], theme: dict[str, str]) -> None:
    for name, color in colors.items():
        if name in theme:
            assert color == theme[name]                      # kept as given
            continue
        for other, color2 in colors.items():
            if other != name:
                assert distance(color, color2) >= MIN_DISTANCE, (name, color, other, color2)


@pytest.mark.parametrize("size", range(2, 13))
def test_every_dataset_of_2_to_12_labels_gets_colours_20_apart(size):
    names = NAMES[:size]
    assert_apart(label_colors(names), {})
    assert_apart(label_colors(["SPEECH", "NOISE", "MUSIC", "LAUGHTER", "OTHER", "SILENCE", "A", "B", "C", "D",
                               "E", "F"][:size]), {})
    for color in THEMES:                                     # one theme colour, on the first label
        theme = {names[0]: color}
        assert_apart(label_colors(names, theme), theme)
    for first, last in itertools.combinations(THEMES, 2):    # two, on the first and the last
        theme = {names[0]: first, names[-1]: last}
        assert_apart(label_colors(names, theme), theme)
    # a theme colour for a label the dataset does not have is avoided as well
    theme = {"ELSEWHERE": "#1f77b4"}
    colors = label_colors(names, theme)
    assert all(distance(c, "#1f77b4") >= MIN_DISTANCE for c in colors.values())


def test_a_label_keeps_its_colour_when_labels_are_added_after_it():
    theme = {"SPEAKER_05": "#ff0000"}
    before = label_colors(NAMES[:3], theme)
    for size in range(4, 13):
        after = label_colors(NAMES[:size], theme)
        assert {k: after[k] for k in before} == before
