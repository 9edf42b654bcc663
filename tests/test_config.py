from pathlib import Path

import pytest

from monitor import config


def test_example_config_parses_and_has_feeds_places_channels():
    cfg = config.parse(config.example_text(), Path("placewatch.toml"), env={})
    assert len(cfg.feeds) >= 3 and all(f.url.startswith("https://") for f in cfg.feeds)
    assert {w.name for w in cfg.watch} >= {"Palmyra"}
    assert {c.type for c in cfg.channels} == {"console", "file"}


def test_errors_name_file_line_key_and_fix(tmp_path):
    path = tmp_path / "pw.toml"
    path.write_text('workers = 2\n\n[[feeds]]\nurl = "ftp://nope"\n\n[[channels]]\ntype = "pager"\n')
    with pytest.raises(config.ConfigError) as err:
        config.load(str(path), env={})
    text = str(err.value)
    assert f"{path}:4: feeds[0].url" in text and "fix:" in text
    assert "channels[0].type" in text and "'pager' is not a channel type" in text


def test_unknown_key_and_bad_type_are_reported_together(tmp_path):
    path = tmp_path / "pw.toml"
    path.write_text('workerz = 3\n[poller]\nmin_interval = "soon"\n')
    with pytest.raises(config.ConfigError) as err:
        config.load(str(path), env={})
    assert "workerz: unknown key" in str(err.value)
    assert "poller.min_interval: expected int" in str(err.value)


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "pw.toml"
    path.write_text("[[feeds]\nurl=1")
    with pytest.raises(config.ConfigError, match="pw.toml: not valid TOML"):
        config.load(str(path), env={})


def test_environment_overrides_file(tmp_path):
    path = tmp_path / "pw.toml"
    path.write_text('data_dir = "here"\n[redis]\nurl = "redis://file:6379/0"\n')
    cfg = config.load(str(path), env={"PLACEWATCH_REDIS_URL": "redis://env:6379/1", "PLACEWATCH_DATA_DIR": str(tmp_path / "d")})
    assert cfg.redis_url == "redis://env:6379/1"
    assert cfg.data_dir == (tmp_path / "d").resolve()
    assert config.load(str(path), env={}).data_dir == (tmp_path / "here").resolve()


def test_config_found_through_environment_variable(tmp_path):
    path = tmp_path / "other.toml"
    path.write_text("workers = 5\n")
    assert config.load(None, env={"PLACEWATCH_CONFIG": str(path)}).workers == 5


def test_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(config.ConfigError, match="cannot read the config"):
        config.load(str(tmp_path / "absent.toml"), env={})


def test_rule_must_name_existing_channel():
    text = '[[channels]]\nname = "a"\ntype = "console"\n[[rules]]\nchannels = ["b"]\n'
    with pytest.raises(config.ConfigError, match="no channel is named 'b'"):
        config.parse(text, None, env={})
