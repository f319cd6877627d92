"""Tests of the torch modules: shapes, packing, directions, dropout."""

import torch

from sklstm._modules import _ManyToOneNet, _SequenceEncoder


def _encoder(**kwargs):
    params = dict(input_size=3, hidden_size=5)
    params.update(kwargs)
    return _SequenceEncoder(**params)


def test_encoder_output_shapes_bidirectional():
    """Bidirectional doubles the feature axis of output and summary."""
    torch.manual_seed(0)
    out, last = _encoder(bidirectional=True, num_layers=2)(torch.randn(4, 7, 3))
    assert out.shape == (4, 7, 10) and last.shape == (4, 10)


def test_encoder_summary_is_last_valid_step():
    """With lengths, the forward summary is the state at each sequence's end."""
    torch.manual_seed(0)
    enc = _encoder()
    X = torch.randn(2, 6, 3)
    out, last = enc(X, torch.tensor([4, 6]))
    torch.testing.assert_close(last[0], out[0, 3])
    torch.testing.assert_close(last[1], out[1, 5])
    assert torch.all(out[0, 4:] == 0)
    alone, alone_last = enc(X[:1, :4])
    torch.testing.assert_close(alone_last[0], last[0])


def test_encoder_backward_summary_is_first_step():
    """The backward half of the summary is the backward output at step 0."""
    torch.manual_seed(0)
    enc = _encoder(bidirectional=True)
    out, last = enc(torch.randn(3, 5, 3))
    torch.testing.assert_close(last[:, 5:], out[:, 0, 5:])
    torch.testing.assert_close(last[:, :5], out[:, -1, :5])


def test_encoder_gru_and_conv_and_norm():
    """GRU cells, a convolution block and layer norm keep the shapes."""
    torch.manual_seed(0)
    enc = _encoder(cell="gru", conv_channels=4, conv_kernel_size=3, layer_norm=True)
    out, last = enc(torch.randn(2, 9, 3), torch.tensor([9, 5]))
    assert out.shape == (2, 9, 5)
    torch.testing.assert_close(last.mean(dim=1), torch.zeros(2), atol=1e-5, rtol=0)


def test_encoder_single_layer_dropout_not_passed_to_rnn():
    """With one layer, the RNN gets no dropout (torch would warn)."""
    assert _encoder(dropout=0.5).rnn.dropout == 0.0
    assert _encoder(dropout=0.5, num_layers=2).rnn.dropout == 0.5


def test_many_to_one_dropout_only_in_training():
    """Dropout changes outputs in train mode but not in eval mode."""
    torch.manual_seed(0)
    net = _ManyToOneNet(2, dropout=0.5, input_size=3, hidden_size=16)
    X = torch.randn(8, 4, 3)
    net.eval()
    torch.testing.assert_close(net(X), net(X))
    net.train()
    assert not torch.equal(net(X), net(X))


def test_many_to_one_token_embedding():
    """Token ids are embedded; padding id 0 has a zero embedding."""
    net = _ManyToOneNet(3, input_size=1, hidden_size=4, vocab_size=10, embedding_dim=6)
    assert net(torch.randint(0, 10, (2, 5))).shape == (2, 3)
    assert torch.all(net.encoder.embedding.weight[0] == 0)


def test_many_to_one_bfloat16_returns_float32():
    """bfloat16 autocast still returns float32 outputs."""
    net = _ManyToOneNet(1, precision="bfloat16", input_size=3, hidden_size=4)
    assert net(torch.randn(2, 5, 3)).dtype == torch.float32


def test_encoder_conv_pool_shortens_time_axis():
    """Pooling after the convolution leaves ceil(L / pool) recurrent steps."""
    torch.manual_seed(0)
    enc = _encoder(conv_channels=4, conv_kernel_size=3, conv_pool=3)
    out, _ = enc(torch.randn(2, 10, 3))
    assert out.shape == (2, 4, 5)
    assert _encoder(conv_pool=3).conv_pool == 1  # no convolution, no pooling


def test_encoder_conv_pool_ignores_padding():
    """With pooling, a padded sequence gives the same summary as alone."""
    torch.manual_seed(0)
    enc = _encoder(conv_channels=4, conv_kernel_size=3, conv_pool=4)
    X = torch.randn(2, 13, 3)
    _, last = enc(X, torch.tensor([7, 13]))
    _, alone = enc(X[:1, :7])
    torch.testing.assert_close(last[0], alone[0])
    Z, lengths = enc.embed(X, torch.tensor([7, 13]))
    assert Z.shape[1] == 4 and lengths.tolist() == [2, 4]


def test_normalise_windows_uses_the_last_valid_step():
    """Per-window references honour the valid lengths of padded sequences."""
    from sklstm._modules import _normalise_windows

    X = torch.tensor([[[1.0], [2.0], [3.0]], [[4.0], [6.0], [0.0]]])
    lengths = torch.tensor([3, 2])
    centred, ref = _normalise_windows(X, lengths, "last")
    assert ref[:, 0].tolist() == [3.0, 6.0]
    assert centred[1, :2, 0].tolist() == [-2.0, 0.0]
    _, mean = _normalise_windows(X, lengths, "mean")
    assert mean[:, 0].tolist() == [2.0, 5.0]


# --- the LSTM-FCN branch ----------------------------------------------------


def test_encoder_fcn_branch_widens_the_summary():
    """The pooled branch output is concatenated after the recurrent summary."""
    torch.manual_seed(0)
    enc = _encoder(bidirectional=True, fcn_channels=(4, 6, 2))
    out, last = enc(torch.randn(3, 9, 3))
    assert out.shape == (3, 9, 10) and last.shape == (3, 12)
    assert enc.output_size == 12
    assert _ManyToOneNet(
        4, input_size=3, hidden_size=5, fcn_channels=(6,), fcn_kernel_sizes=(3,)
    )(torch.randn(2, 5, 3)).shape == (2, 4)


def test_fcn_masked_pooling_equals_the_unpadded_sequence():
    """Padding is never read: in training (batch statistics) and eval mode."""
    from sklstm._fcn import _FCNBranch

    torch.manual_seed(0)
    branch = _FCNBranch(2, (3, 4, 3), (8, 5, 3))
    Z = torch.randn(1, 11, 2)
    padded = torch.cat([Z, 100 * torch.randn(1, 6, 2)], dim=1)
    lengths = torch.tensor([11])
    for training in (True, False):
        branch.train(training)
        torch.testing.assert_close(branch(padded, lengths), branch(Z))
    # the running statistics learnt from a padded batch skip the padding too
    a, b = _FCNBranch(2, (3,), (3,)), _FCNBranch(2, (3,), (3,))
    b.load_state_dict(a.state_dict())
    a(padded, lengths)
    b(Z)
    torch.testing.assert_close(a.norms[0].running_var, b.norms[0].running_var)
    torch.testing.assert_close(a.norms[0].running_mean, b.norms[0].running_mean)


def test_encoder_fcn_variable_length_batch_is_exact():
    """In a mixed batch every sequence gets the output it gets alone (eval)."""
    torch.manual_seed(0)
    enc = _encoder(
        fcn_channels=(4, 4), fcn_kernel_sizes=(5, 3), conv_channels=3, conv_pool=2
    ).eval()
    X = torch.randn(2, 10, 3)
    _, last = enc(X, torch.tensor([6, 10]))
    _, alone = enc(X[:1, :6])
    torch.testing.assert_close(last[0], alone[0])


def test_fcn_kernel_sizes_must_match_the_blocks():
    """One kernel size per block, or a ValueError naming both parameters."""
    import pytest

    with pytest.raises(ValueError, match="fcn_kernel_sizes"):
        _encoder(fcn_channels=(4, 4))
