// tanh and GELU (tanh approximation) in f32, included with `#include "gelu"` (at the end of the file) by
// elementwise.wgsl and by the quantized matvec's GeGLU epilogue, so both compute the very same function:
//
//   gelu_tanh(v) = 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3)))   (HF gelu_pytorch_tanh, ggml gelu)

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;

// tanh without the builtin, whose precision WGSL leaves to the driver (approximate hardware tanh is ~2^-11 relative):
// its Taylor series through z^17 below |z| = 0.55 (truncation < 3e-9 relative), where 1 - e^-2|z| would cancel;
// (1 - e^-2|z|) / (1 + e^-2|z|) above, with |z| clamped at 10 (tanh(10) rounds to 1 in f32) so nothing overflows.
fn tanh_f32(z: f32) -> f32 {
    let a = abs(z);
    if (a < 0.55) {
        let z2 = z * z;
        var r = 0.000590027440945586;
        r = -0.0014558343870513183 + z2 * r;
        r = 0.003592128036572481 + z2 * r;
        r = -0.008863235529902197 + z2 * r;
        r = 0.021869488536155203 + z2 * r;
        r = -0.05396825396825397 + z2 * r;
        r = 0.13333333333333333 + z2 * r;
        r = -0.3333333333333333 + z2 * r;
        return z * (1.0 + z2 * r);
    }
    let e = exp(-2.0 * min(a, 10.0));
    return sign(z) * (1.0 - e) / (1.0 + e);
}

// 0.5 (1 + tanh(z)) = 1 / (1 + e^(-2z)): the same function without the cancellation of 1 + tanh(z) for negative v
// (which would cost ~|v| 2^-24 absolute where the result is tiny). Overflow is harmless: e^(-2z) = inf gives -0.
fn gelu_tanh(v: f32) -> f32 {
    let z = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
    return v / (1.0 + exp(-2.0 * z));
}
