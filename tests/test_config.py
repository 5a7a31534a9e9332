import pytest

from gamegan.build import resolve
from gamegan.config import (
    RunConfig,
    apply_overrides,
    from_dict,
    to_dict,
    validate,
)
from gamegan.errors import ConfigError
from gamegan.presets import PRESETS, build_config, get_preset


def test_overrides_are_typed_and_reach_both_optimizers():
    cfg = apply_overrides(RunConfig(), ["optim.lr=1e-3", "train.iterations=12", "model.z_dim=64"])
    assert cfg.optim_d.lr == cfg.optim_g.lr == 1e-3
    assert cfg.train.iterations == 12
    assert cfg.model.params == {"z_dim": 64}
    cfg = apply_overrides(cfg, ["optim_g.lr=5e-4"])
    assert (cfg.optim_d.lr, cfg.optim_g.lr) == (1e-3, 5e-4)


@pytest.mark.parametrize(
    "override, words",
    [
        ("train.iterations=12a", "train.iterations: expected an integer"),
        ("train.iterations=1.5", "expected an integer"),
        ("train.nope=3", "unknown key 'nope'"),
        ("bogus.x=1", "unknown section 'bogus'"),
        ("optim.lr", "expected KEY=VALUE"),
        ("train.tensorboard=maybe", "expected true/false"),
    ],
)
def test_bad_overrides_name_the_key(override, words):
    with pytest.raises(ConfigError, match=words):
        apply_overrides(RunConfig(), [override])


@pytest.mark.parametrize(
    "override, words",
    [
        ("model.bogus=1", "model.bogus: unknown key"),
        ("model.z_dim='x'", "model.z_dim: expected an integer"),
        ("model.g_activation=swish", "swish"),
        ("loss.gp_weight=5", "loss.gp_weight: unknown key"),
        ("loss.name=nope", "unknown loss 'nope'"),
        ("model.name=nope", "unknown model 'nope'"),
    ],
)
def test_model_and_loss_params_are_checked_at_resolve(override, words):
    cfg = build_config("dcgan-mnist", overrides=[override])
    with pytest.raises(ConfigError, match=words):
        resolve(cfg)


@pytest.mark.parametrize(
    "override, words",
    [
        ("optim.name=lion", "unknown optimizer 'lion'"),
        ("optim.lr=0", "lr must be positive"),
        ("train.batch_size=0", "batch-size"),
        ("train.device=tpu", "--device"),
        ("train.ema_decay=1.0", "ema_decay"),
    ],
)
def test_validate_ranges(override, words):
    with pytest.raises(ConfigError, match=words):
        build_config("dcgan-mnist", overrides=[override])


def test_unknown_preset_lists_choices():
    with pytest.raises(ConfigError, match="dcgan-mnist"):
        get_preset("dcgan-mnistt")


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_resolves(name):
    cfg = (
        build_config(name, data="somewhere")
        if not get_preset(name).data.source
        else get_preset(name)
    )
    resolved = resolve(validate(cfg))
    assert resolved.cfg.train.n_critic >= 1
    # the full config survives JSON and back
    assert from_dict(RunConfig, to_dict(resolved.cfg)) == resolved.cfg


def test_chapter_presets_carry_the_chapter_values():
    wgan = resolve(get_preset("wgan-forest")).cfg
    assert wgan.train.n_critic == 5
    assert wgan.loss.params["clip_value"] == 0.01
    assert (wgan.optim_d.name, wgan.optim_d.lr) == ("rmsprop", 5e-5)
    assert wgan.model.params["resolution"] == 32 and wgan.model.params["channels"] == 3
    assert wgan.data.classes == (33,)
    dcgan = resolve(get_preset("dcgan-mnist")).cfg
    assert (dcgan.optim_d.name, dcgan.optim_d.lr, dcgan.optim_d.beta1) == ("adam", 2e-4, 0.5)
    assert dcgan.model.params["bn_momentum"] == 0.8
    assert (dcgan.train.iterations, dcgan.train.batch_size, dcgan.train.sample_every) == (
        4000,
        32,
        50,
    )


def test_folder_preset_needs_data():
    with pytest.raises(ConfigError, match="--data is required"):
        build_config("dcgan-folder")


def test_from_dict_rejects_unknown_keys():
    data = to_dict(RunConfig())
    data["train"]["speed"] = 3
    with pytest.raises(ConfigError, match="speed"):
        from_dict(RunConfig, data)


def test_own_data_drops_the_presets_class_filter():
    assert build_config("wgan-forest").data.classes == (33,)
    own = build_config("wgan-forest", data="my_textures")
    assert own.data.source == "my_textures" and own.data.classes == ()
    assert build_config("wgan-forest", data="cifar100").data.classes == (33,)
