"""The backward pass of a convolution, by hand.

The forward pass (given below as `conv2d`, the same as in the previous exercise) computes

    out[n, o, i, j] = bias[o] + sum over c, u, v of
                      x_padded[n, c, i*stride + u, j*stride + v] * weight[o, c, u, v]

Backpropagation receives grad_out = dL/dout, of the output's shape (N, C_out, H_out, W_out), and
must return the gradients of the loss L with respect to the inputs, each of its input's shape.
Every term of the sum above is a product, so each gradient collects grad_out times "the other
factor" over every place where its variable appears:

    grad_b[o]          = sum over n, i, j of grad_out[n, o, i, j]
    grad_w[o, c, u, v] = sum over n, i, j of grad_out[n, o, i, j] * x_padded[n, c, i*stride + u, j*stride + v]
    grad_x_padded[n, c, i*stride + u, j*stride + v]  +=  grad_out[n, o, i, j] * weight[o, c, u, v]
                                                         (summed over o, i, j, u, v)

then grad_x is grad_x_padded with the `padding` border cut off again (the zeros of the padding
are not inputs). Shapes: grad_x (N, C_in, H, W), grad_w (C_out, C_in, kH, kW), grad_b (C_out,).
Note the sums over the batch: the weights and the bias are shared by all N images, so their
gradients add up the contributions of every image (and of every position).

Tiny example (stride 1, no padding), with grad_out all ones:

    x = [[1, 2, 3],    weight = [[1, 2],    grad_b = 4 (four output positions)
         [4, 5, 6],              [3, 4]]    grad_w = [[12, 16],   (12 = 1 + 2 + 4 + 5: the patch
         [7, 8, 9]]                                   [24, 28]]    each weight entry met)
                                            grad_x = [[1,  3, 2],  (every position adds the whole
                                                      [4, 10, 6],   filter onto its patch)
                                                      [3,  7, 4]]

grad_w is itself a cross-correlation (of x_padded with grad_out). grad_x is a "full" convolution:
spread grad_out out with stride - 1 zeros between its entries, pad it by kH - 1 and kW - 1, and
cross-correlate it with the filters flipped left-right and up-down and with their input and output
channels swapped (weight.flip(2, 3).transpose(0, 1)). Either view gives the same numbers; a loop
over the kH x kW kernel offsets that adds one strided slice at a time is the most direct.

No autograd here: the point is to write the gradients yourself, from tensor operations.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int = 1, padding: int = 0) -> torch.Tensor:
    """The forward pass (given): (N, C_in, H, W) x (C_out, C_in, kH, kW) -> (N, C_out, H_out, W_out)."""
    x_padded = F.pad(x, (padding, padding, padding, padding))
    kh, kw = weight.shape[-2:]
    patches = x_padded.unfold(2, kh, stride).unfold(3, kw, stride)   # (N, C_in, H_out, W_out, kH, kW)
    out = torch.einsum("nchwuv,ocuv->nohw", patches, weight)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out


def conv2d_backward(x: torch.Tensor, weight: torch.Tensor, grad_out: torch.Tensor,
                    stride: int = 1, padding: int = 0
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of a loss through `conv2d(x, weight, bias, stride, padding)`.

    Args:
        x: (N, C_in, H, W) the forward input.
        weight: (C_out, C_in, kH, kW) the filters.
        grad_out: (N, C_out, H_out, W_out) the gradient of the loss w.r.t. the forward output.
        stride, padding: as in the forward pass.

    Returns:
        (grad_x, grad_w, grad_b) of shapes (N, C_in, H, W), (C_out, C_in, kH, kW) and (C_out,).
    """
    _, _, h, w = x.shape
    kh, kw = weight.shape[-2:]
    h_out, w_out = grad_out.shape[-2:]
    x_padded = F.pad(x, (padding, padding, padding, padding))

    # The bias touches every output of its channel: sum over the batch and the positions.
    grad_b = grad_out.sum(dim=(0, 2, 3))

    # Each weight entry met one entry of every patch: correlate the patches with grad_out,
    # summing over the batch and the positions.
    patches = x_padded.unfold(2, kh, stride).unfold(3, kw, stride)   # (N, C_in, H_out, W_out, kH, kW)
    grad_w = torch.einsum("nohw,nchwuv->ocuv", grad_out, patches)

    # Each output position sends grad_out * filter back onto the patch it came from; patches
    # overlap, so the contributions add up. One strided slice per kernel offset (u, v).
    grad_patches = torch.einsum("nohw,ocuv->nchwuv", grad_out, weight)  # (N, C_in, H_out, W_out, kH, kW)
    grad_x_padded = torch.zeros_like(x_padded)
    for u in range(kh):
        for v in range(kw):
            grad_x_padded[:, :, u:u + stride * (h_out - 1) + 1:stride,
                          v:v + stride * (w_out - 1) + 1:stride] += grad_patches[..., u, v]

    # The padding was not an input: cut it off.
    grad_x = grad_x_padded[:, :, padding:padding + h, padding:padding + w]
    return grad_x, grad_w, grad_b
