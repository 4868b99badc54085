"""Feature maps say in words whether the model got the sample right, and when it is wrong."""

from __future__ import annotations

from components.feature_maps import prediction_verdict


def test_a_wrong_prediction_says_so_with_both_classes():
    level, text = prediction_verdict(5, 3, [str(i) for i in range(10)])
    assert level == "warning" and text == "Predicted 5, but the label is 3: wrong"


def test_a_right_prediction_says_so():
    level, text = prediction_verdict(1, 1, ["cat", "dog"])
    assert level == "success" and "Predicted dog: right" in text


def test_no_label_no_verdict():
    assert prediction_verdict(1, None, ["cat", "dog"]) is None
    assert prediction_verdict(None, 1, ["cat", "dog"]) is None
