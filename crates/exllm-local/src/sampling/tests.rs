use super::*;
use exllm::Message;

fn req() -> ChatRequest {
    ChatRequest::new("local/x", vec![Message::user("hi")])
}

#[test]
fn a_fourth_repeat_of_a_four_token_sequence_is_blocked() {
    // "a b c d" three times, then "a b c": d would make the fourth.
    let answer = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3];
    assert_eq!(blocked_tokens(&answer, 4, 3), vec![4]);
    // Twice is still allowed a third time.
    assert!(blocked_tokens(&answer[..11], 4, 3).is_empty());
    assert!(blocked_tokens(&[1, 2], 4, 3).is_empty());
}

#[test]
fn greedy_sampling_skips_a_blocked_token() {
    let params = SamplingParams {
        max_tokens: 8,
        temperature: 0.0,
        top_p: None,
        top_k: None,
        seed: 1,
        repeat_penalty: 1.0,
        repeat_last_n: 0,
        stop: vec![],
    };
    let mut s = Sampler::new(&params);
    let logits = Tensor::new(&[[0.0f32, 1.0, 0.5, 0.2, 9.0]], &candle_core::Device::Cpu).unwrap();
    assert_eq!(s.sample(&logits, &[]).unwrap(), 4);
    let answer = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3];
    assert_eq!(s.sample(&logits, &answer).unwrap(), 1);
}

#[test]
fn model_defaults_fill_what_the_caller_left_out() {
    let d = GenerationDefaults::for_model("smollm2", None, None, None);
    assert_eq!((d.temperature, d.top_p), (0.2, Some(0.9)));
    let p = from_request(&req(), &d, &mut vec![]).unwrap();
    assert_eq!((p.temperature, p.top_p), (0.2, Some(0.9)));
    assert_eq!(p.max_tokens, DEFAULT_MAX_TOKENS);
    assert!(p.repeat_penalty > 1.0);
    // Temperature 0 from the caller stays greedy; a caller's top_p of 1 turns nucleus off.
    let mut r = req();
    r.temperature = Some(0.0);
    r.top_p = Some(1.0);
    r.max_tokens = Some(7);
    let p = from_request(&r, &d, &mut vec![]).unwrap();
    assert_eq!((p.temperature, p.top_p, p.max_tokens), (0.0, None, 7));
    // The GGUF's own sampling keys win over the family's card.
    let d = GenerationDefaults::for_model("smollm2", Some(0.6), Some(0.95), Some(40));
    assert_eq!(
        (d.temperature, d.top_p, d.top_k),
        (0.6, Some(0.95), Some(40))
    );
    // An unknown model is greedy.
    assert_eq!(
        GenerationDefaults::for_model("other", None, None, None).temperature,
        0.0
    );
}
