"""Helper classes that generated model.py files define for the sequence and attention kinds.

Each is the source text written into model.py when a layer kind names it in `helpers`;
model.py needs only torch, so these use nothing else.
"""

SEQUENCE_HELPERS = {
    "PositionalEncoding": '''
class PositionalEncoding(nn.Module):
    """Adds each position's vector to [B, T, E]: fixed sines and cosines, or learned ones."""

    def __init__(self, dim, max_len, learned):
        super().__init__()
        if learned:
            self.table = nn.Parameter(torch.randn(max_len, dim) * 0.02)
        else:
            position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
            scale = -torch.log(torch.tensor(10000.0)) / dim
            rate = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * scale)
            table = torch.zeros(max_len, dim)
            table[:, 0::2] = torch.sin(position * rate)
            table[:, 1::2] = torch.cos(position * rate[: dim // 2])
            self.register_buffer("table", table, persistent=False)  # rebuilt, never saved

    def forward(self, x):
        return x + self.table[: x.size(1)]
''',
    "causal_mask": '''
def causal_mask(x):
    """[T, T] additive mask for x [B, T, E]: step t sees steps 0..t only."""
    steps = x.size(1)
    return torch.full((steps, steps), float("-inf"), device=x.device, dtype=x.dtype).triu(1)
''',
    "SelfAttention": '''
class SelfAttention(nn.Module):
    """nn.MultiheadAttention with the sequence as query, key and value (batch first)."""

    def __init__(self, dim, num_heads, dropout, bias, causal):
        super().__init__()
        self.attention = nn.MultiheadAttention(
            dim, num_heads, dropout=dropout, bias=bias, batch_first=True
        )
        self.causal = causal

    def forward(self, x):
        mask = causal_mask(x) if self.causal else None
        return self.attention(x, x, x, attn_mask=mask, need_weights=False)[0]
''',
    "TransformerBlock": '''
class TransformerBlock(nn.Module):
    """nn.TransformerEncoderLayer over [B, T, E], with a causal mask when asked."""

    def __init__(self, dim, nhead, causal, **options):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(dim, nhead, batch_first=True, **options)
        self.causal = causal

    def forward(self, x):
        if self.causal:
            return self.layer(x, src_mask=causal_mask(x), is_causal=True)
        return self.layer(x)
''',
    "SequenceConv1d": '''
class SequenceConv1d(nn.Conv1d):
    """nn.Conv1d over sequences [B, T, F]: the features are its channels, time its length."""

    def forward(self, x):
        return super().forward(x.transpose(1, 2)).transpose(1, 2)
''',
    "SequenceMaxPool1d": '''
class SequenceMaxPool1d(nn.MaxPool1d):
    """nn.MaxPool1d along time of sequences [B, T, F]."""

    def forward(self, x):
        return super().forward(x.transpose(1, 2)).transpose(1, 2)
''',
    "SequenceAvgPool1d": '''
class SequenceAvgPool1d(nn.AvgPool1d):
    """nn.AvgPool1d along time of sequences [B, T, F]."""

    def forward(self, x):
        return super().forward(x.transpose(1, 2)).transpose(1, 2)
''',
    "GlobalPool": '''
class GlobalPool(nn.Module):
    """Mean or max over all of time ([B, T, F] -> [B, F]) or space ([B, C, H, W] -> [B, C])."""

    def __init__(self, mode, dims):
        super().__init__()
        self.mode = mode
        self.dims = dims

    def forward(self, x):
        if self.mode == "max":
            return x.amax(dim=self.dims)
        return x.mean(dim=self.dims)
''',
}
