"""Models a person might bring: the import tests build them, save them to ONNX and import them."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.tanh(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)) + x)


class ResidualCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.block = Block(8)
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = self.pool(self.block(self.stem(x)))
        return self.head(torch.flatten(x, 1))


class TwoBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.left = nn.Sequential(nn.Linear(4, 16), nn.ReLU())
        self.right = nn.Sequential(nn.Linear(4, 8), nn.Tanh())
        self.out = nn.Linear(24, 3)

    def forward(self, x):
        return self.out(torch.cat([self.left(x), self.right(x)], dim=1))


class GruLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 12, batch_first=True)
        self.lstm = nn.LSTM(12, 10, batch_first=True)
        self.head = nn.Linear(10, 2)

    def forward(self, x):
        seq, _ = self.gru(x)
        out, _ = self.lstm(seq)
        return self.head(out[:, -1])


class NormLeaky(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(6, 32), nn.LayerNorm(32), nn.LeakyReLU(), nn.Dropout(0.1), nn.Linear(32, 4)
        )

    def forward(self, x):
        return self.net(x)


class Cumsum(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.cumsum(self.fc(x), dim=1)


class TimeFirst(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4)

    def forward(self, x):
        return self.lstm(x)[0]


class ShapeBranch(nn.Module):
    """Python control flow on a shape: torch.fx cannot trace it, torch.export can."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.gru = nn.GRU(8, 6, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        if x.shape[-1] > 4:
            x = F.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        x = x.reshape(x.shape[0], 4, 8)
        seq, _ = self.gru(x)
        return torch.log_softmax(self.head(seq[:, -1]), dim=1)
