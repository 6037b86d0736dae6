from veil.pii.mask import mask_example, mask_value


def test_mask_keeps_shape_only():
    assert mask_value("Ann Lee") == "Xxx Xxx"
    assert mask_value("123-45-6789") == "999-99-9999"
    assert mask_value("jo.doe@mail.com") == "xx.xxx@xxxx.xxx"
    assert mask_value("Zoë") == "Xxx"
    assert len(mask_value("x" * 100)) == 40


def test_mask_example_skips_missing():
    import pandas as pd

    assert mask_example(pd.Series([None, "Bo Li"])) == "Xx Xx"
    assert mask_example(pd.Series([None, None])) == ""
